.PHONY: build test bench docs

build:
	go build -o bin/kharden ./cmd/kharden

test:
	./hack/test.sh

bench:
	./hack/bench.sh

docs:
	go generate ./internal/docs
