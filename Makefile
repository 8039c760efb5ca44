.PHONY: build test bench docs image release

# Symbols stripped, as a release is (docs/install.md gives the sizes).
build:
	go build -ldflags "-s -w" -o bin/kharden ./cmd/kharden

test:
	./hack/test.sh

bench:
	./hack/bench.sh

docs:
	go generate ./internal/docs

# The image as an OCI layout in bin/image (no container engine needed); with docker
# present, also built by it from the Dockerfile for linux/amd64 and linux/arm64.
image:
	go run ./hack/release image
	@if command -v docker >/dev/null 2>&1; then \
		docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/kharden/kharden:$$(cat VERSION) . ; \
	fi

# Release binaries for linux, darwin and windows on amd64 and arm64, with SHA256SUMS.
release:
	go run ./hack/release binaries
