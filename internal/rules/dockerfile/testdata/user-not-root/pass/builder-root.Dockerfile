FROM golang:1.23.2 AS build
USER root
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /app /app
USER nonroot
