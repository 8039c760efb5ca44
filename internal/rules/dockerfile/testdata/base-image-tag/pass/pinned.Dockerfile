ARG VERSION
ARG GO=1.23.2
FROM golang:${GO}-bookworm AS build
FROM build AS test
FROM scratch AS empty
# A version given at build time cannot be judged here.
FROM alpine:${VERSION} AS tools
FROM registry.example.com:5000/team/base@sha256:0d8b6e0bd8d2f6a3c3ad4b1d5d0e4f1b6e9a7c2d8f1e3b5a7c9d1f3e5a7b9c1d
FROM debian:latest@sha256:0d8b6e0bd8d2f6a3c3ad4b1d5d0e4f1b6e9a7c2d8f1e3b5a7c9d1f3e5a7b9c1d
FROM gcr.io/distroless/static-debian12:nonroot
USER 65532
