FROM debian:12.7-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*
RUN <<EOF
apt-get update
apt-get install --no-install-recommends -y gettext=0.21-12
rm -rf /var/lib/apt/lists/*
EOF
RUN set -eux; \
    apt-get update; \
    xargs -rt apt-get install -y --no-install-recommends < /deps.txt; \
    rm -rf /var/lib/apt/lists/*

FROM alpine:3.20 AS alpine
RUN apk update && apk add git=2.45.2-r0 && rm -rf /var/cache/apk/*

FROM opensuse/leap:15.6 AS suse
RUN zypper -n refresh && zypper -n install 'curl=8.6.0' && zypper clean --all
USER 10001
