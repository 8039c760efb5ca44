FROM debian:12.7-slim AS base
USER 10001
FROM base AS app
RUN id
# want DF-0017 "the image runs as \"0:0\", which is root"
USER 0:0
