FROM registry.access.redhat.com/ubi9/ubi:9.4
ARG NGINX_VERSION=1.20.1
RUN yum install -y \
        nginx-${NGINX_VERSION} \
        curl-7.76.1-29.el9_4 \
        openssl-1:3.0.7-27.el9 \
        'bash-5.1*' \
        "$EXTRA_PACKAGES" \
        @development \
        'perl(Digest::SHA)' \
        /usr/bin/make \
        ./vendor/tool-1.0.rpm \
    && yum clean all
RUN dnf module install -y nodejs:20 && dnf clean all
RUN dnf install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm && dnf clean all
RUN yum remove -y vim-minimal && yum clean all
USER 10001
