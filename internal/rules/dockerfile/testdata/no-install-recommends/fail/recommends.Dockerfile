FROM debian:12.7-slim
RUN apt-get update \
    # want DF-0015 "apt-get install without --no-install-recommends also installs recommended packages"
    && apt-get install -y curl=7.88.1-10+deb12u8 \
    && rm -rf /var/lib/apt/lists/*
# Setting it to true is no help; --no-install-suggests is another thing.
# want DF-0015 "apt-get install"
RUN apt-get update && apt-get install -y --no-install-suggests -o APT::Install-Recommends=true wget=1.21.3-1+b2 \
    && rm -rf /var/lib/apt/lists/*
RUN set -eux; \
    # want DF-0015 "apt install without"
    apt install --update -y make=4.3-4.1; \
    apt-get dist-clean
USER 10001
