# Kabootar. `make run` and `make test` are the two commands a newcomer needs;
# both install what is missing first (see scripts/deps.sh).
GO      ?= go
BIN     := bin/kabootar
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Packages without the window, for the race detector.
CORE_PKGS := ./cache/... ./feeds/... ./transport/... ./cmd/...

.PHONY: build run test test-deps deps vet lint bench clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kabootar

deps:
	@bash scripts/deps.sh build

test-deps:
	@bash scripts/deps.sh test

run: deps build
	./$(BIN) $(ARGS)

vet:
	$(GO) vet ./...

lint:
	$(GO) tool staticcheck ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need formatting"; exit 1; }

test: test-deps vet lint
	$(GO) test ./...
	$(GO) test -race $(CORE_PKGS)

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./cache/ ./feeds/
	$(GO) run ./bench -kabootar $(BIN)

clean:
	rm -rf bin dist
