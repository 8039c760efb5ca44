FROM debian:12.7-slim
ENV GOLANG_VERSION=1.23.2 GOLANG_SHA256=542d3c1705f1c6a1c5a80d5dc62e2e45171af291e755d591c5e6531ef63b454e
# The docker-library idioms: a pinned digest checked with sha256sum -c, or a signature.
RUN set -eux; \
    wget -O go.tgz "https://dl.google.com/go/go$GOLANG_VERSION.linux-amd64.tar.gz"; \
    echo "$GOLANG_SHA256 *go.tgz" | sha256sum -c -; \
    tar -C /usr/local -xzf go.tgz
RUN set -eux; \
    wget -O /usr/local/bin/gosu "https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64"; \
    wget -O /usr/local/bin/gosu.asc "https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64.asc"; \
    export GNUPGHOME="$(mktemp -d)"; \
    gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys B42F6819007F00F88E364FD4036A9C25BF357DD4; \
    gpg --batch --verify /usr/local/bin/gosu.asc /usr/local/bin/gosu
RUN curl -fL -o upstream-KEYS 'https://www.apache.org/dist/tomcat/tomcat-10/KEYS' \
    && curl -fsSLO --compressed "https://nodejs.org/dist/v22.11.0/SHASUMS256.txt.asc" \
    && curl -f -L -O https://github.com/nginx/pkg-oss/archive/1.27.2-1.tar.gz \
    && if [ "$(openssl sha512 -r 1.27.2-1.tar.gz)" = "$PKGOSSCHECKSUM" ]; then echo ok; else exit 1; fi
# Content-addressed URLs (a full commit hash), API calls and captured output.
RUN wget -O /tmp/xslscript.pl https://raw.githubusercontent.com/nginx/xslscript/9204424259c343ca08a18a78915f40f28025e093/xslscript.pl \
    && VERSION="$(curl -fsSL https://api.example.com/latest)" \
    && curl -fsS -X POST https://hooks.example.com/built \
    && wget --spider https://example.com/ \
    && curl -fsS -o /dev/null https://example.com/health
RUN curl -fsSLo app.tgz https://example.com/app.tgz \
    && curl -fsSLo app.tgz.sig https://example.com/app.tgz.sig \
    && cosign verify-blob --key cosign.pub --signature app.tgz.sig app.tgz
# Keys, keyrings and repository definitions are trust material, not software.
RUN curl -fsSL https://download.docker.com/linux/debian/gpg -o /etc/apt/keyrings/docker.asc \
    && curl -fsSLo /etc/apt/keyrings/nodesource https://deb.nodesource.com/gpgkey/nodesource.gpg.key \
    && curl -fsSLo /etc/yum.repos.d/docker-ce.repo https://download.docker.com/linux/centos/docker-ce.repo \
    && curl -fsS -X POST -o /tmp/response.json https://api.example.com/builds
# An ADD verified by name in a later RUN of the stage.
ADD https://example.com/app-1.2.3.tar.gz /tmp/
RUN echo "$APP_SHA256  /tmp/app-1.2.3.tar.gz" | sha256sum -c -
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /tmp/
ADD https://github.com/moby/buildkit.git#v0.16.0 /src/buildkit
USER 10001
