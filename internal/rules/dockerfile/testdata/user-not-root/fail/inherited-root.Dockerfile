FROM debian:12.7-slim AS base
# want DF-0017 "the image runs as \"root\""
USER root
FROM base
RUN id
