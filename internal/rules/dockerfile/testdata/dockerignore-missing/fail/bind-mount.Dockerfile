FROM golang:1.23.2-bookworm AS build
# want DF-0024 "the build context has no .dockerignore, so RUN can take every file of it"
RUN --mount=type=cache,target=/root/.cache/go-build --mount=target=/src,rw go build -C /src -o /app ./...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /app /app
USER 65532
