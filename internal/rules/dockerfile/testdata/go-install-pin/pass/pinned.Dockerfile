FROM golang:1.23.2 AS build
ARG LINT_VERSION=v1.61.0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go install golang.org/x/tools/gopls@v0.16.2 \
    && go install -tags netgo github.com/golangci/golangci-lint/cmd/golangci-lint@${LINT_VERSION} \
    && go install golang.org/x/tools/cmd/stringer@v0.0.0-20240924172405-2b4ab3d3c3e7 \
    && go install github.com/example/tool@1a2b3c4d5e6f \
    && go install github.com/example/legacy@v2.3.4+incompatible \
    && go get github.com/spf13/cobra@v1.8.1 \
    && go get github.com/old/dep@none \
    && go install ./cmd/... \
    && go install github.com/example/app/cmd/app \
    && go get -d ./...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /go/bin/app /usr/local/bin/app
