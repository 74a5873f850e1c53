# Kabootar. `make run` and `make test` are the two commands a newcomer needs;
# both install what is missing first (see scripts/deps.sh).
GO      ?= go
BIN     := bin/kabootar
# The release is FyneApp.toml's; the commit is stamped by go build from git.
VERSION ?= $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Packages for the race detector (the ui package's tests drive Fyne's test
# driver, whose objects are shared with the test goroutine by design).
CORE_PKGS := ./internal/cache/... ./internal/feeds/... ./internal/transport/... ./internal/app/... ./internal/keys/... ./internal/syncthing/... ./internal/tor/... ./internal/localeenv/... ./cmd/...
# The window changes widgets only through fyne.Do (FyneApp.toml migrations).
export GOFLAGS := $(GOFLAGS) -tags=migrated_fynedo
# Fyne reads the locale; C is not one it knows.
export LANG := en_US.UTF-8

# The fyne tool packages the desktop bundle; pinned, installed into bin/.
FYNE_TOOLS := fyne.io/tools/cmd/fyne@v1.7.4
FYNE       := bin/tools/fyne
APP_ID     := org.kabootar.kabootar
PKG        := dist/kabootar-$(VERSION)-linux-$(shell $(GO) env GOARCH).tar.xz
PREFIX_USER := $(HOME)/.local

.PHONY: build run test test-deps deps vet lint bench lab screenshot clean icon package package-check install uninstall windows windows-installer windows-test

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kabootar

deps:
	@bash scripts/deps.sh build

test-deps:
	@bash scripts/deps.sh test

run: deps build
	./$(BIN) $(ARGS)

# The packages without a window must build for Windows and macOS too (the
# window needs cgo and the platform's C toolchain, not here).
PORTABLE_PKGS := ./internal/cache/... ./internal/feeds/... ./internal/transport/... ./internal/app/... ./internal/keys/... ./internal/syncthing/... ./internal/tor/... ./assets/...

vet:
	$(GO) vet ./...
	GOOS=windows $(GO) vet $(PORTABLE_PKGS)
	GOOS=darwin $(GO) vet $(PORTABLE_PKGS)

lint:
	$(GO) tool staticcheck ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need formatting"; exit 1; }

test: test-deps vet lint
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(CORE_PKGS)

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./internal/cache/ ./internal/feeds/ ./internal/ui/
	$(GO) run ./bench -kabootar $(BIN)

# Windows: kabootar.exe cross-built with mingw-w64 (cgo, for Fyne's GL
# driver), for the GUI subsystem (no console window opens for the window;
# a command attaches to the console it was typed in), with its icon,
# version information and manifest as resources; an installer (NSIS, per
# user) and a zip; tested under Wine (scripts/windows-test.sh).
WIN_DIR   := dist/windows
WIN_EXE   := $(WIN_DIR)/kabootar.exe
WIN_SETUP := dist/kabootar-$(VERSION)-windows-amd64-setup.exe
WIN_ZIP   := dist/kabootar-$(VERSION)-windows-amd64.zip
WIN_SYSO  := cmd/kabootar/rsrc_windows_amd64.syso

windows:
	@bash scripts/deps.sh windows
	$(GO) run ./scripts/winres -version $(VERSION) -out $(WIN_DIR)/res
	x86_64-w64-mingw32-windres -O coff -c 65001 -I $(WIN_DIR)/res -i $(WIN_DIR)/res/kabootar.rc -o $(WIN_SYSO)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -trimpath -ldflags '$(LDFLAGS) -H windowsgui' -o $(WIN_EXE) ./cmd/kabootar
	rm -f $(WIN_SYSO)

windows-installer: windows
	makensis -V2 -DVERSION=$(VERSION) -DEXE=$(CURDIR)/$(WIN_EXE) -DICON=$(CURDIR)/$(WIN_DIR)/res/kabootar.ico \
	  -DOUT=$(CURDIR)/$(WIN_SETUP) scripts/windows/kabootar.nsi
	rm -f $(WIN_ZIP)
	zip -q -j $(WIN_ZIP) $(WIN_EXE) README.md README.fa.md

windows-test: windows-installer build
	bash scripts/windows-test.sh

# The censorship lab (needs root): the real binary behind a censor in
# network namespaces, one scenario per technique, and a report table.
lab: test-deps
	rm -f bin/lab-report.txt
	KBLAB_REPORT=$(CURDIR)/bin/lab-report.txt $(GO) test -count=1 -v -run TestLab ./test/lab/ | grep -v '^=== '

clean:
	rm -rf bin dist

# assets/icon.png is rendered from assets/icon.svg (the source to edit).
icon:
	convert -background none -density 96 assets/icon.svg -resize 512x512 -depth 8 assets/icon.png

$(FYNE):
	GOBIN=$(CURDIR)/bin/tools GOFLAGS= $(GO) install $(FYNE_TOOLS)

# The desktop bundle: binary, .desktop entry (with Persian name and
# comment added) and icon, in the tar.xz layout of `fyne package`.
package: deps build $(FYNE)
	rm -rf bin/_pkg && mkdir -p bin/_pkg dist
	# In a scratch copy: fyne package wants Go code under the directory it
	# runs in, even with --exe, and rewrites FyneApp.toml there (its build
	# number). Go leaves directories starting with _ out of ./... .
	cp -r FyneApp.toml assets bin/_pkg/
	cd bin/_pkg && ../../$(FYNE) package --os linux --exe ../kabootar --app-version $(VERSION) && \
	  tar -xJf Kabootar.tar.xz
	printf '%s\n' 'Name[fa]=کبوتر' 'GenericName[fa]=خبرخوان' \
	  'Comment[fa]=خبرخوانی که از سد سانسور می‌گذرد و بی‌اینترنت هم خوانده می‌شود' \
	  >> bin/_pkg/kabootar/usr/local/share/applications/$(APP_ID).desktop
	tar -C bin/_pkg -cJf $(PKG) kabootar
	@echo "package: $(PKG)"

# Builds the package, checks what is in it, installs it into a scratch
# home and starts it from its .desktop entry under Xvfb.
package-check: package
	@bash scripts/deps.sh package
	bash scripts/package-check.sh $(PKG)

# Installs for the current user: ~/.local/bin, ~/.local/share/applications
# and ~/.local/share/icons. Kabootar's data (~/.local/share/kabootar) is
# neither touched here nor by uninstall.
install: package
	$(MAKE) -C bin/_pkg/kabootar user-install
	-update-desktop-database -q $(PREFIX_USER)/share/applications 2>/dev/null
	@echo "Installed: $(PREFIX_USER)/bin/kabootar; Kabootar is in your applications menu."

uninstall:
	rm -f $(PREFIX_USER)/bin/kabootar $(PREFIX_USER)/share/applications/$(APP_ID).desktop \
	  $(PREFIX_USER)/share/icons/$(APP_ID).png
	-update-desktop-database -q $(PREFIX_USER)/share/applications 2>/dev/null
	@echo "Removed Kabootar; your saved news stays in $${XDG_DATA_HOME:-$(PREFIX_USER)/share}/kabootar."

# Screenshots of the real window under Xvfb, in English and Persian: the
# main window on a demo data directory (nothing is fetched), and the first
# run's connection and sources steps on an empty one. Writes, into
# docs/screenshots/ (committed: the READMEs show them),
# main-{en,fa}.png, settings-{en,fa}.png, sharing-{en,fa}.png (Settings >
# Sharing), tor-settings-{en,fa}.png and tor-missing-{en,fa}.png (Settings >
# Tor, with tor and, $$KABOOTAR_TOR naming none, without), tor-bootstrap-
# {en,fa}.png (a refresh waiting for Kabootar's Tor: strict mode, Tor on a
# private network that never answers, so nothing leaves this machine) and
# first-run-{connection,sources}-{en,fa}.png.
SHOTS := docs/screenshots
screenshot: build
	@bash scripts/deps.sh screenshot
	$(GO) run ./scripts/demo bin/demo-data
	mkdir -p $(SHOTS)
	for l in en fa; do \
	  loc=en_US; [ $$l = fa ] && loc=fa_IR; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "LANG=$$loc.UTF-8 ./$(BIN) --data bin/demo-data --open-first & p=\$$!; sleep 8; import -window root $(SHOTS)/main-$$l.png; kill \$$p"; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "LANG=$$loc.UTF-8 ./$(BIN) --data bin/demo-data --open-settings & p=\$$!; sleep 8; import -window root $(SHOTS)/settings-$$l.png; kill \$$p"; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "LANG=$$loc.UTF-8 ./$(BIN) --data bin/demo-data --settings-tab sharing & p=\$$!; sleep 8; import -window root $(SHOTS)/sharing-$$l.png; kill \$$p"; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "LANG=$$loc.UTF-8 ./$(BIN) --data bin/demo-data --settings-tab tor & p=\$$!; sleep 8; import -window root $(SHOTS)/tor-settings-$$l.png; kill \$$p"; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "KABOOTAR_TOR=/nonexistent/tor LANG=$$loc.UTF-8 ./$(BIN) --data bin/demo-data --settings-tab tor & p=\$$!; sleep 8; import -window root $(SHOTS)/tor-missing-$$l.png; kill \$$p"; \
	  rm -rf bin/tor-data; cp -r bin/demo-data bin/tor-data; ./$(BIN) --data bin/tor-data transport set --mode proxy --tor always --bridge none >/dev/null; \
	  xvfb-run -a -s "-screen 0 1200x760x24" sh -c "KABOOTAR_TORRC_EXTRA=$(CURDIR)/scripts/screenshot-tor.torrc LANG=$$loc.UTF-8 ./$(BIN) --data bin/tor-data --refresh-at-start & p=\$$!; sleep 8; import -window root $(SHOTS)/tor-bootstrap-$$l.png; kill \$$p"; \
	  for step in 1:connection 2:sources; do \
	    rm -rf bin/first-run-data; \
	    xvfb-run -a -s "-screen 0 1200x760x24" sh -c "LANG=$$loc.UTF-8 ./$(BIN) --data bin/first-run-data --welcome-step $${step%%:*} & p=\$$!; sleep 5; import -window root $(SHOTS)/first-run-$${step#*:}-$$l.png; kill \$$p"; \
	  done; \
	done
	@ls -l $(SHOTS)/*.png
