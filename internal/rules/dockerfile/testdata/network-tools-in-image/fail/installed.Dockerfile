FROM debian:12.7-slim AS base
RUN apt-get update \
    # want DF-0023 "\"apt-get install\" installs curl into the running image and no later step removes it"
    && apt-get install -y --no-install-recommends ca-certificates curl=7.88.1-10+deb12u7 wget \
    && rm -rf /var/lib/apt/lists/*

FROM base
# Removing one of two tools leaves the other.
RUN apt-get purge -y --auto-remove wget
RUN set -eux; \
    savedAptMark="$(apt-mark showmanual)"; \
    apt-get update; \
    # want DF-0023 "\"apt-get install\" installs netcat-openbsd into the running image and no later step removes it"
    apt-get install -y --no-install-recommends gnupg netcat-openbsd; \
    apt-mark auto '.*' > /dev/null; \
    [ -z "$savedAptMark" ] || apt-mark manual $savedAptMark; \
    apt-mark manual netcat-openbsd; \
    apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
    rm -rf /var/lib/apt/lists/*
USER 10001
