#!/usr/bin/env bash
# Kabootar for Windows, tested under Wine on this Linux machine (make
# windows-test, after make windows-installer):
#   1. the windowless packages' tests, compiled for Windows, run under Wine;
#   2. kabootar.exe refreshes a loopback feed into a data directory whose
#      path has spaces and Persian letters, and the Linux build reads it;
#   3. the system proxy in Wine's registry is offered, and a refresh goes
#      through a real microsocks on that port;
#   4. the window opens under Xvfb (its title found with xwininfo, a
#      screenshot taken), and a refresh runs beside it on the same cache;
#   5. the installer installs silently, makes its Start-menu entry and its
#      uninstaller, and uninstalling keeps the saved news.
# Everything stays on loopback. Each step says how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
exe=$root/dist/windows/kabootar.exe
setup=$root/dist/kabootar-$version-windows-amd64-setup.exe
linux=$root/bin/kabootar
shots=${KABOOTAR_WINE_SHOTS:-$root/dist/windows}
[ -x "$linux" ] || { echo "build the Linux binary first: make build"; exit 1; }

# Wine turns arguments into UTF-16 by the Unix locale's encoding: one that
# is installed and UTF-8 (the Makefile's en_US.UTF-8 may not be, and then
# a Persian path arrives as question marks).
export LANG=C.UTF-8 LC_ALL=C.UTF-8
work=$(mktemp -d /tmp/kabootar-wine.XXXXXX)
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "== $1 ($((SECONDS - t0)) s so far)"; }
t0=$SECONDS

step "a Wine prefix, on an X server of its own"
# One Xvfb for every step: Wine's desktop process, started with the first
# program, keeps the display it found.
Xvfb -displayfd 5 -screen 0 1200x760x24 -nolisten tcp 5>"$work/display" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=:$(cat "$work/display")
wineboot -i >/dev/null 2>&1
# Wine 8 (Debian 12's) lacks Windows 10's bcryptprimitives.dll, without
# which Go's runtime does not start: a stand-in (scripts/windows/
# bcryptprimitives.c) goes into this prefix only.
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  scripts/windows/bcryptprimitives.c -ladvapi32
user=$(wine cmd /c 'echo %USERNAME%' 2>/dev/null | tr -d '\r')
cdrive=$WINEPREFIX/drive_c

step "the windowless packages' tests under Wine"
# Wine 8 answers Go's os.RemoveAll (a POSIX-semantics delete, Windows 10's)
# with a status Go does not expect, so every t.TempDir's cleanup would
# fail: the test binaries (not kabootar.exe) are built with Go's deleteat
# taking its older way on that status too (a build overlay of one file,
# made here from this Go's own source).
at=$(go env GOROOT)/src/internal/syscall/windows/at_windows.go
grep -q "case STATUS_INVALID_INFO_CLASS," "$at" || { echo "FAIL: this Go's $at is not the one the Wine overlay knows"; exit 1; }
sed 's|\tcase STATUS_INVALID_INFO_CLASS,|\tcase STATUS_INVALID_INFO_CLASS, NTStatus(0xC0000002), NTStatus(0xC0000010), // and what Wine 8 answers|' "$at" >"$work/at_windows.go"
printf '{"Replace":{"%s":"%s"}}' "$at" "$work/at_windows.go" >"$work/overlay.json"
for p in cache feeds transport app; do
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -overlay "$work/overlay.json" -c -o "$work/$p.test.exe" "./internal/$p"
  s=$SECONDS
  (cd "internal/$p" && wine "$work/$p.test.exe" -test.count=1 -test.timeout=15m -test.v) >"$work/$p.log" 2>&1 || {
    grep -E -e '--- FAIL|_test.go' "$work/$p.log" | head -40; echo "FAIL: internal/$p under Wine"; exit 1; }
  skipped=$(grep -e '--- SKIP' "$work/$p.log" | awk '{print $3}' | tr '\n' ' ' || true)
  echo "ok  internal/$p under Wine ($((SECONDS - s)) s; $(grep -c -e '--- PASS' "$work/$p.log") passed; skipped: ${skipped:-none})"
done

# started runs a program in the background until the script ends.
started() { "$@" & pids+=($!); }
waitfor() { # waitfor FILE TEXT: until FILE holds TEXT, 20 s at most
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for $2 in $1"; cat "$1"; exit 1
}

step "a refresh into a data directory with spaces and Persian letters"
go build -o "$work/serve" ./scripts/serve
started "$work/serve" -addr 127.0.0.1:0 -dir internal/feeds/testdata >"$work/serve.out"
waitfor "$work/serve.out" ready
site=$(awk '/ready/ {print $2}' "$work/serve.out")
data_unix="$cdrive/users/$user/AppData/Local/خبرهای من/Kabootar data"
mkdir -p "$data_unix"
data_win="C:\\users\\$user\\AppData\\Local\\خبرهای من\\Kabootar data"
kb() { wine "$exe" --data "$data_win" "$@"; }
kb transport set --tor off --doh off >/dev/null
kb sources add "http://$site/rss2-fa.xml" >/dev/null
kb refresh --json >"$work/refresh.json"
grep -q '"ok": *true' "$work/refresh.json" || { cat "$work/refresh.json"; echo "FAIL: the refresh under Wine"; exit 1; }
n_win=$(kb articles --json | grep -c '"id"' || true)
n_linux=$("$linux" --data "$data_unix" articles --json | grep -c '"id"' || true)
echo "stored under Wine: $n_win articles; the Linux build reads $n_linux"
[ "$n_win" -gt 0 ] && [ "$n_win" = "$n_linux" ] || { echo "FAIL: the cache is not the same from both"; exit 1; }

step "the system proxy (Wine's registry) offered, and a refresh through it"
command -v microsocks >/dev/null || { echo "FAIL: microsocks is not installed (scripts/deps.sh windows installs it)"; exit 1; }
started microsocks -i 127.0.0.1 -p 10808 >/dev/null 2>&1
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/10808) 2>/dev/null && break; sleep 0.1; done
wine reg add 'HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings' /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null
wine reg add 'HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings' /v ProxyServer /t REG_SZ /d 'socks=127.0.0.1:10808' /f >/dev/null
proxy_data="$work/proxy-data"
found=$(wine "$exe" --data "Z:$proxy_data" transport find | tr -d '\r')
echo "$found"
echo "$found" | grep -q 'socks5://127.0.0.1:10808  (Windows proxy settings)' || { echo "FAIL: the system proxy is not offered"; exit 1; }
# The reader takes the offer, strict: nothing but the proxy may carry the refresh.
wine "$exe" --data "Z:$proxy_data" transport set --tor off --proxy socks5://127.0.0.1:10808 --mode proxy >/dev/null
wine "$exe" --data "Z:$proxy_data" sources add "http://$site/atom.xml" >/dev/null
wine "$exe" --data "Z:$proxy_data" refresh --json >"$work/proxy.json"
grep -q '"route": *"socks5://127.0.0.1:10808"' "$work/proxy.json" || { cat "$work/proxy.json"; echo "FAIL: the refresh did not go through the proxy"; exit 1; }
echo "refreshed through microsocks on 127.0.0.1:10808 in strict mode"

step "the window under Xvfb"
# shot FILE: the window, drawn, taken. (In English: Wine takes Windows's
# language from the Unix locale, and this machine has C.UTF-8 only; the
# Persian window is drawn on Linux by make screenshot.)
shot() {
  wine "$exe" --data "$data_win" >"$work/window.log" 2>&1 &
  local win=$!
  pids+=($win)
  for _ in $(seq 60); do xwininfo -root -tree 2>/dev/null | grep -q '"Kabootar"' && break; sleep 1; done
  xwininfo -root -tree | grep '"Kabootar"' || { tail -20 "$work/window.log"; echo "FAIL: no window titled Kabootar"; exit 1; }
  sleep 4 # drawn
  import -window root "$1"
  # The window and a command on one cache at once: Windows locks files
  # its own way (SQLite's LockFileEx); both must work.
  wine "$exe" --data "$data_win" refresh --json >"$work/beside.json" || { cat "$work/beside.json"; echo "FAIL: a refresh beside the window"; exit 1; }
  wine "$exe" --data "$data_win" sources list >/dev/null || { echo "FAIL: sources list beside the window"; exit 1; }
  xwininfo -root -tree | grep -q '"Kabootar"' || { echo "FAIL: the window closed when a command ran beside it"; exit 1; }
  echo "a refresh and a listing ran beside the open window"
  kill "$win" 2>/dev/null || true
  echo "screenshot: $1"
}
shot "$shots/windows-wine-en.png"

step "the installer, silent"
wine "$setup" /S
inst="$cdrive/users/$user/AppData/Local/Programs/Kabootar"
lnk="$cdrive/users/$user/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Kabootar.lnk"
[ -f "$inst/kabootar.exe" ] && [ -f "$inst/uninstall.exe" ] || { ls -R "$cdrive/users/$user/AppData/Local/Programs" || true; echo "FAIL: not installed"; exit 1; }
[ -f "$lnk" ] || { echo "FAIL: no Start-menu entry"; exit 1; }
wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Kabootar' /v UninstallString | grep -q uninstall.exe || { echo "FAIL: no uninstaller in Apps & features"; exit 1; }
wine "$inst/kabootar.exe" --data "$data_win" sources list >/dev/null
# The saved news in the default place, %LocalAppData%\kabootar, must outlive the uninstaller.
wine "$inst/kabootar.exe" sources add "http://$site/rss2-fa.xml" >/dev/null
default_data="$cdrive/users/$user/AppData/Local/kabootar"
[ -f "$default_data/kabootar.db" ] || { ls "$default_data" || true; echo "FAIL: no data in %LocalAppData%\\kabootar"; exit 1; }
wine "$inst/uninstall.exe" /S _?="C:\\users\\$user\\AppData\\Local\\Programs\\Kabootar"
[ ! -f "$inst/kabootar.exe" ] && [ ! -f "$lnk" ] || { echo "FAIL: the uninstaller left the program"; exit 1; }
[ -f "$default_data/kabootar.db" ] || { echo "FAIL: uninstalling deleted the saved news"; exit 1; }
echo "installed, found, uninstalled; the saved news kept"
step "done"
