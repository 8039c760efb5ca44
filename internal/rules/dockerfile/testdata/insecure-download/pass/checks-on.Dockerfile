FROM debian:12.7-slim
# A local repository of packages built in this build may be trusted=yes.
RUN echo "deb [ trusted=yes ] file:///tmp/debs ./" > /etc/apt/sources.list.d/temp.list
# Local .apk files built in an earlier stage, and building an index, fetch nothing.
RUN apk add --no-cache --allow-untrusted /tmp/packages/*.apk \
    && apk index --allow-untrusted -o /tmp/APKINDEX.tar.gz /tmp/packages/*.apk
# A signed-by source, curl -K (a config file), repo_gpgcheck=0 (repository metadata only).
RUN echo "deb [signed-by=/usr/share/keyrings/x.gpg] https://repo.example.com/debian stable main" > /etc/apt/sources.list.d/x.list \
    && curl -fsSL -K /etc/curlrc -o /tmp/x https://example.com/x \
    && echo 'repo_gpgcheck=0' >> /etc/yum.repos.d/x.repo \
    && git -c http.sslVerify=true clone https://git.example.com/app.git /src
# Turning checks back on, and installing local packages built in an earlier stage.
RUN sed -i 's/gpgcheck=0/gpgcheck=1/' /etc/yum.repos.d/x.repo \
    && dnf install -y --nogpgcheck /tmp/rpms/app-1.0-1.x86_64.rpm \
    && apt-get install -y --allow-unauthenticated ./debs/app_1.0_amd64.deb
ENV NODE_TLS_REJECT_UNAUTHORIZED=1 GOSUMDB=sum.golang.org
USER 10001
