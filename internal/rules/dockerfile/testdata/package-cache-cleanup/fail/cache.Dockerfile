FROM debian:12.7-slim
# apt-get clean removes downloaded .deb files, not the lists.
RUN apt-get update \
    # want DF-0016 "apt-get install in a RUN that leaves /var/lib/apt/lists in the layer$"
    && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \
    && apt-get clean
# Removing them in a later RUN does not shrink the layer that has them.
RUN rm -rf /var/lib/apt/lists/*
# want DF-0016 "the cache mount on /var/cache/apt does not cover it"
RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y --no-install-recommends wget=1.21.3-1+b2

FROM alpine:3.20 AS alpine
RUN apk update \
    # want DF-0016 "apk add without --no-cache leaves its index in /var/cache/apk"
    && apk add curl=8.9.1-r0

FROM registry.access.redhat.com/ubi9/ubi:9.4 AS rhel
# want DF-0016 "yum install in a RUN without yum clean all"
RUN yum install -y nginx-1.20.1
# want DF-0016 "dnf install in a RUN without dnf clean all"
RUN dnf install -y git-2.43.5 && dnf clean packages
# want DF-0016 "microdnf install in a RUN without microdnf clean all"
RUN microdnf install -y shadow-utils-4.9

FROM opensuse/leap:15.6 AS suse
# want DF-0016 "zypper install in a RUN without zypper clean"
RUN zypper -n install 'curl=8.6.0'
USER 10001
