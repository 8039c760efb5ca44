FROM debian:12.7-slim
ARG CURL_VERSION=7.88.1-10+deb12u8
ENV PG_MAJOR=16 PG_VERSION=16.4-1.pgdg120+1
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates=20230311 \
        curl="${CURL_VERSION}" \
        wget=1.21.* \
        "postgresql-$PG_MAJOR=$PG_VERSION" \
    && rm -rf /var/lib/apt/lists/*
# Packages given as variables, from a file or a command substitution, and local .deb
# files are not reported: kharden cannot see their names.
RUN apt-get update && apt-get install -y --no-install-recommends $buildDeps "$@" $(cat /deps.txt) \
    && apt-get install -y ./vendor/tool_1.2.3_amd64.deb /tmp/pkgs/*.deb \
    && xargs -rt apt-get install -y --no-install-recommends < /deps.txt \
    && rm -rf /var/lib/apt/lists/*
# Not installs: removal, purge, simulation, download only.
RUN apt-get purge -y --auto-remove curl \
    && apt-get remove -y wget \
    && apt-get install -s nginx \
    && apt-get install -d -y nginx \
    && apt-get install -y curl- \
    && dpkg -i /tmp/tool.deb
USER 10001
