FROM python:3.12.7-slim-bookworm
# A large build step and a separate smoke test: a reasonable split for the build cache.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends gcc libc6-dev; \
    pip install --no-cache-dir uwsgi==2.0.28; \
    apt-get purge -y --auto-remove gcc libc6-dev; \
    rm -rf /var/lib/apt/lists/*
RUN uwsgi --version
ENV APP_HOME=/app
RUN mkdir -p "$APP_HOME"
# Different mounts, or an exec-form RUN, are not simply joined.
RUN --mount=type=cache,target=/root/.cache/pip pip install --no-cache-dir flask==3.0.3
RUN ["python3", "-m", "compileall", "/app"]
RUN python3 -c 'print(1)'
USER 10001
