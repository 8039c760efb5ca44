FROM python:3.12.7-slim-bookworm
ENV BUILD_DEPS="gcc make libc6-dev"
RUN apt-get update \
    # want DF-0027 "\"apt-get install\" installs gcc and make into the image, which has no separate build stage"
    && apt-get install -y --no-install-recommends $BUILD_DEPS \
    && pip install --no-cache-dir uwsgi==2.0.28 \
    && rm -rf /var/lib/apt/lists/*
# want DF-0027 "\"apt-get install\" installs build-essential"
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY . /app
USER 10001
