#!/usr/bin/env bash
# Checks the desktop package the way a user meets it: what the tar.xz holds,
# that the .desktop entry is valid, that `make install` puts it under a home
# directory, that the entry's Exec line starts Kabootar's window (under Xvfb),
# and that `make uninstall` takes it away again and leaves the data.
#   package-check.sh dist/kabootar-VERSION-linux-ARCH.tar.xz
set -euo pipefail
pkg=${1:?usage: package-check.sh PACKAGE.tar.xz}
cd "$(dirname "$0")/.."
app=org.kabootar.kabootar
fail() { echo "package-check: $*" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# 1. Contents.
tar -tJf "$pkg" > "$scratch/list"
for f in kabootar/Makefile kabootar/usr/local/bin/kabootar \
         kabootar/usr/local/share/applications/$app.desktop \
         kabootar/usr/local/share/pixmaps/$app.png; do
  grep -qx "$f" "$scratch/list" || fail "$pkg lacks $f"
done
mkdir "$scratch/x" && tar -xJf "$pkg" -C "$scratch/x"
desktop=$scratch/x/kabootar/usr/local/share/applications/$app.desktop
desktop-file-validate "$desktop" || fail "the .desktop entry is not valid"
for kv in "Name=Kabootar" "Name[fa]=کبوتر" "Icon=$app" "Exec=kabootar" "Categories=Network;News;"; do
  grep -qxF "$kv" "$desktop" || fail ".desktop lacks $kv"
done
file "$scratch/x/kabootar/usr/local/share/pixmaps/$app.png" | grep -q "PNG image data, 512 x 512" ||
  fail "the icon is not a 512x512 PNG"
want=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
ver=$("$scratch/x/kabootar/usr/local/bin/kabootar" --version 2>/dev/null)
case "$ver" in "kabootar $want (commit "*) ;; *) fail "--version says '$ver', want version $want" ;; esac
echo "contents: ok ($ver)"

# 2. make install for a user whose home is the scratch directory. Go keeps
# its caches under the real home.
export GOPATH=$(go env GOPATH) GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE)
home=$scratch/home
mkdir -p "$home"
HOME=$home XDG_DATA_HOME= make --no-print-directory install >/dev/null
installed=$home/.local/share/applications/$app.desktop
for f in "$home/.local/bin/kabootar" "$installed" "$home/.local/share/icons/$app.png"; do
  [ -e "$f" ] || fail "make install did not write $f"
done
exec_line=$(sed -n 's/^Exec=//p' "$installed")
[ "$exec_line" = "$home/.local/bin/kabootar" ] || fail "installed Exec is '$exec_line'"
echo "install: ok ($home/.local)"

# 3. Start it from its entry, as a desktop would: the Exec line without
# field codes, in a fresh X server, with no data yet (a first run).
cmd=$(printf '%s' "$exec_line" | sed 's/ %[fFuUick]//g')
cat > "$scratch/start.sh" <<SCRIPT
set -u
HOME='$home' XDG_DATA_HOME= $cmd >'$scratch/app.log' 2>&1 &
pid=\$!
for i in \$(seq 1 60); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"Kabootar"'; then
    kill \$pid; wait \$pid 2>/dev/null; exit 0
  fi
  kill -0 \$pid 2>/dev/null || exit 3
  sleep 0.5
done
kill \$pid; exit 4
SCRIPT
rc=0
xvfb-run -a -s "-screen 0 1200x760x24" bash "$scratch/start.sh" || rc=$?
case $rc in
  0) ;;
  3) cat "$scratch/app.log" >&2; fail "Kabootar exited before its window appeared" ;;
  *) cat "$scratch/app.log" >&2; fail "no Kabootar window within 30 s (status $rc)" ;;
esac
[ -f "$home/.local/share/kabootar/kabootar.db" ] || ls -R "$home/.local/share" >&2
echo "start from .desktop: ok (window \"Kabootar\" drawn)"

# 4. make uninstall removes the app and keeps the reader's data.
HOME=$home XDG_DATA_HOME= make --no-print-directory uninstall >/dev/null
for f in "$home/.local/bin/kabootar" "$installed" "$home/.local/share/icons/$app.png"; do
  [ ! -e "$f" ] || fail "make uninstall left $f"
done
[ -d "$home/.local/share/kabootar" ] || fail "the data directory is gone after uninstall"
echo "uninstall: ok (data kept)"
