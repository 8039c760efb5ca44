FROM debian:12.7-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \
    && apt-get install --no-install-recommends --no-install-suggests -y wget=1.21.3-1+b2 \
    && apt-get -o APT::Install-Recommends=false install -y make=4.3-4.1 \
    && apt-get install -y -oAPT::Install-Recommends=0 patch=2.7.6-7 \
    && xargs -rt apt-get install -y --no-install-recommends < /deps.txt \
    && apt-get install -s gcc \
    && rm -rf /var/lib/apt/lists/*

FROM debian:12.7-slim AS configured
RUN echo 'APT::Install-Recommends "false";' > /etc/apt/apt.conf.d/99-no-recommends
RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*

FROM configured AS child
RUN apt-get update && apt-get install -y jq=1.6-2.1 && rm -rf /var/lib/apt/lists/*
USER 10001
