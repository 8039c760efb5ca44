FROM debian:12.7-slim
# want DF-0018 "apt-get update runs in a RUN that installs nothing"
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*
# An install before the update does not use it.
RUN apt-get install -y --no-install-recommends wget=1.21.3-1+b2 \
    # want DF-0018 "apt-get update"
    && apt-get update

FROM alpine:3.20 AS alpine
# want DF-0018 "apk update runs in a RUN that installs nothing"
RUN apk update && apk info

FROM opensuse/leap:15.6 AS suse
# want DF-0018 "zypper refresh"
RUN zypper --non-interactive refresh
USER 10001
