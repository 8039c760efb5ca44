FROM debian:12.7-slim
# Upgrading one named package is a targeted fix, not a blanket upgrade.
RUN apt-get update \
    && apt-get install -y --no-install-recommends --only-upgrade openssl=3.0.15-1~deb12u1 \
    && rm -rf /var/lib/apt/lists/*
# Mentioning upgrade as data is not running it.
RUN echo "apt-get upgrade is not used here" > /etc/motd

FROM alpine:3.20 AS alpine
RUN apk upgrade --no-cache openssl

FROM registry.access.redhat.com/ubi9/ubi:9.4 AS rhel
RUN yum update -y openssl-libs && yum clean all
# yum check-update only reports.
RUN yum check-update || true

FROM opensuse/leap:15.6 AS suse
RUN zypper -n update openssl && zypper clean --all
RUN zypper -n patch --cve=CVE-2024-0001 && zypper clean
RUN dnf upgrade -y --advisory=RHSA-2024:1234 && dnf clean all
USER 10001
