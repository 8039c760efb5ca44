FROM golang:1.23.2-alpine3.20 AS build
# A builder stage only used through COPY --from may keep curl.
RUN apk add --no-cache curl=8.11.0-r2 && curl -fsSLo /tmp/x https://example.com/x

FROM debian:12.7-slim
COPY --from=build /tmp/x /opt/x
# The docker-library idiom: everything installed in this RUN is marked automatic and purged.
RUN set -eux; \
    savedAptMark="$(apt-mark showmanual)"; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates wget; \
    wget -O /usr/local/bin/gosu "https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64"; \
    apt-mark auto '.*' > /dev/null; \
    [ -z "$savedAptMark" ] || apt-mark manual $savedAptMark; \
    apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
    rm -rf /var/lib/apt/lists/*
# Installed and purged by name in the same RUN.
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && curl -fsSL https://example.com/health \
    && apt-get purge -y curl && rm -rf /var/lib/apt/lists/*
# apk virtual packages: apk del of the virtual name removes its members.
RUN apk add --no-cache --virtual .fetch-deps curl netcat-openbsd && apk del --no-network .fetch-deps
# libcurl is a library, not the curl tool.
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4 && rm -rf /var/lib/apt/lists/*
# Removal of what dpkg says this RUN added, a list kharden cannot evaluate.
RUN dpkg -l | awk '/^ii/ {print $2}' > /tmp/before \
    && apt-get update && apt-get install -y --no-install-recommends wget \
    && wget -O /tmp/x https://example.com/x \
    && dpkg -l | awk '/^ii/ {print $2}' > /tmp/after \
    && apt-get remove --purge -y $(diff /tmp/before /tmp/after | awk '/^>/ {print $2}')
USER 10001
