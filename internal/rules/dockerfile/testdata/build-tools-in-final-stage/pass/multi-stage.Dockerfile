FROM debian:12.7-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev && rm -rf /var/lib/apt/lists/*
RUN make -C /src

FROM debian:12.7-slim
COPY --from=build /src/app /usr/local/bin/app
USER 10001
