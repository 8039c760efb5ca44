FROM debian:12.7-slim
RUN apt-get update \
    # want DF-0003 "apt-get upgrade upgrades every installed package"
    && apt-get -y upgrade \
    # want DF-0003 "apt-get dist-upgrade"
    && DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y -o Dpkg::Options::=--force-confnew \
    && rm -rf /var/lib/apt/lists/*
# want DF-0003 "apt full-upgrade"
RUN apt full-upgrade -y

FROM alpine:3.20 AS alpine
# want DF-0003 "apk upgrade"
RUN apk upgrade --no-cache --available

FROM registry.access.redhat.com/ubi9/ubi:9.4 AS rhel
# want DF-0003 "yum update"
RUN yum -y update --security && yum clean all
# want DF-0003 "dnf upgrade"
RUN dnf upgrade -y --refresh && dnf clean all
# want DF-0003 "dnf distro-sync"
RUN dnf --setopt=install_weak_deps=False distro-sync -y && dnf clean all
# want DF-0003 "microdnf update"
RUN sudo microdnf update -y && microdnf clean all

FROM opensuse/leap:15.6 AS suse
# want DF-0003 "zypper dup"
RUN zypper --non-interactive dup && zypper clean --all
# want DF-0003 "zypper patch"
RUN zypper -n patch && zypper clean
RUN <<EOF
set -e
# want DF-0003 "zypper update"
zypper -n update
zypper clean --all
EOF
USER 10001
