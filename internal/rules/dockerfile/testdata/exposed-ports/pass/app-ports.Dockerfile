FROM golang:1.23.2-bookworm AS build
# A builder stage's EXPOSE does not reach the image that runs.
EXPOSE 22
RUN go build -o /app ./...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /app /app
# 22/udp is not SSH; a variable without a value cannot be judged.
EXPOSE 8080 8443/tcp 22/udp 65535 ${METRICS_PORT}
USER 65532
ENTRYPOINT ["/app"]
