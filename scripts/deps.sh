#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Kabootar needs, only those missing.
#   deps.sh build   what building needs (gcc for cgo; the window's GL libraries)
#   deps.sh test    what the test suite needs
#   deps.sh bench   what the benchmark compares against (newsboat)
#   deps.sh screenshot  Xvfb and ImageMagick, for make screenshot
#   deps.sh package     what make package-check needs
#   deps.sh windows     the Windows cross-build, its installer, and Wine to test them
# As root it installs; with sudo it asks sudo; otherwise it says what to install.
set -euo pipefail

want=(gcc pkg-config)
case "${1:-build}" in
  build) want+=(libgl1-mesa-dev xorg-dev xz-utils make) ;;
  # The window's GL libraries (the tests build the binary), real proxies
  # for the integration tests, the censorship lab's tools.
  # Syncthing: the sharing lab's carrier between two machines. Tor: the
  # managed Tor's tests run the real program (kept on loopback).
  test) want+=(libgl1-mesa-dev xorg-dev microsocks tinyproxy iproute2 nftables iptables dnsmasq-base syncthing tor obfs4proxy) ;;
  bench) want+=(newsboat) ;;
  screenshot) want+=(libgl1-mesa-dev xorg-dev xvfb xauth imagemagick) ;;
  # Checking the desktop package: its entry, and starting it under Xvfb.
  package) want+=(xz-utils make file desktop-file-utils xvfb xauth x11-utils) ;;
  # mingw-w64 builds Fyne's Windows driver with cgo; NSIS the installer;
  # Wine runs both (xvfb, x11-utils and ImageMagick for the window's
  # screenshot; microsocks for the system proxy's test).
  windows) want+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis zip wine wine64 xvfb xauth x11-utils imagemagick microsocks) ;;
  *) echo "usage: $0 build|test|bench|screenshot|package|windows" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || {
  echo "Go is not installed: install Go 1.26 or newer (https://go.dev/doc/install), then run this again." >&2
  exit 1
}
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Please install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "Kabootar needs these packages; run as root or install them: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing on a fresh machine; update them once.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
