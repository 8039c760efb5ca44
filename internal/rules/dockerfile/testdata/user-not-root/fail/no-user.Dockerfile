FROM golang:1.23.2 AS build
USER builder
RUN go build -o /app .
# want DF-0017 "the final stage #1 sets no USER, so the image runs as root"
FROM gcr.io/distroless/base-debian12:latest
COPY --from=build /app /app
