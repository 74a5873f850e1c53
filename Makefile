# Kabootar. `make run` and `make test` are the two commands a newcomer needs;
# both install what is missing first (see scripts/deps.sh).
GO      ?= go
BIN     := bin/kabootar
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Packages without the window, for the race detector.
CORE_PKGS := ./cache/... ./feeds/... ./transport/... ./cmd/...

.PHONY: build run test test-deps deps vet lint bench lab clean

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
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(CORE_PKGS)

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./cache/ ./feeds/
	$(GO) run ./bench -kabootar $(BIN)

# The censorship lab (needs root): the real binary behind a censor in
# network namespaces, one scenario per technique, and a report table.
lab: test-deps
	KBLAB_REPORT=$(CURDIR)/bin/lab-report.txt $(GO) test -count=1 -v -run TestLab ./test/lab/ | grep -v '^=== '

clean:
	rm -rf bin dist
