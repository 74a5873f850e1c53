# Kabootar. `make run` and `make test` are the two commands a newcomer needs;
# both install what is missing first (see scripts/deps.sh).
GO      ?= go
BIN     := bin/kabootar
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Packages for the race detector (the ui package's tests drive Fyne's test
# driver, whose objects are shared with the test goroutine by design).
CORE_PKGS := ./cache/... ./feeds/... ./transport/... ./cmd/...
# The window changes widgets only through fyne.Do (FyneApp.toml migrations).
export GOFLAGS := $(GOFLAGS) -tags=migrated_fynedo
# Fyne reads the locale; C is not one it knows.
export LANG := en_US.UTF-8

.PHONY: build run test test-deps deps vet lint bench lab screenshot clean

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
	$(GO) test -run '^$$' -bench . -benchmem ./cache/ ./feeds/ ./ui/
	$(GO) run ./bench -kabootar $(BIN)

# The censorship lab (needs root): the real binary behind a censor in
# network namespaces, one scenario per technique, and a report table.
lab: test-deps
	KBLAB_REPORT=$(CURDIR)/bin/lab-report.txt $(GO) test -count=1 -v -run TestLab ./test/lab/ | grep -v '^=== '

clean:
	rm -rf bin dist

# Screenshots of the real window under Xvfb, in English and Persian, on a
# demo data directory (nothing is fetched). Writes bin/screenshot-en.png
# and bin/screenshot-fa.png.
screenshot: build
	@bash scripts/deps.sh screenshot
	$(GO) run ./scripts/demo bin/demo-data
	for l in en fa; do \
	  loc=en_US; [ $$l = fa ] && loc=fa_IR; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "LANG=$$loc.UTF-8 ./$(BIN) --data bin/demo-data --open-first & p=\$$!; sleep 8; import -window root bin/screenshot-$$l.png; kill \$$p"; \
	done
	@ls -l bin/screenshot-*.png
