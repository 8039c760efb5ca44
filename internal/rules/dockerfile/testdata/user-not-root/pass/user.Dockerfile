FROM debian:12.7-slim AS build
RUN id
FROM build AS base
USER root
RUN apt-get update
USER 10001:10001
# The final stage inherits USER 10001 from base.
FROM base
COPY app /app
