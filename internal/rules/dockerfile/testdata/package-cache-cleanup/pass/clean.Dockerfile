FROM debian:12.7-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \
    && rm -rf /var/lib/apt/lists/*
RUN set -eux; \
    apt-get install --update -y --no-install-recommends wget=1.21.3-1+b2; \
    apt-get dist-clean
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends make=4.3-4.1
RUN <<EOF
set -e
apt-get update
apt-get install -y --no-install-recommends jq=1.6-2.1
rm -rf /var/lib/apt/lists/*
EOF
# Not installs: nothing downloaded.
RUN apt-get install -s gcc && apt-get purge -y --auto-remove curl

FROM alpine:3.20 AS alpine
RUN apk add --no-cache curl=8.9.1-r0 \
    && apk add --no-network --virtual .rundeps $runDeps
RUN apk update && apk add git=2.45.2-r0 && rm -rf /var/cache/apk/*
RUN --mount=type=cache,target=/var/cache/apk apk add bash=5.2.26-r0

FROM registry.access.redhat.com/ubi9/ubi:9.4 AS rhel
RUN yum install -y nginx-1.20.1 && yum clean all
RUN dnf install -y git-2.43.5 && rm -rf /var/cache/dnf
RUN microdnf install -y shadow-utils-4.9 && microdnf clean all
RUN --mount=type=cache,target=/var/cache/dnf dnf install -y tar-1.34

FROM opensuse/leap:15.6 AS suse
RUN zypper -n install 'curl=8.6.0' && zypper clean --all
RUN zypper -n in 'tar=1.34' && zypper cc -a
USER 10001
