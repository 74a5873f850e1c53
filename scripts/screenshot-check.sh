#!/usr/bin/env bash
# Checks that make screenshot drew something: each PNG exists, has the
# window's size and more than a few colours (a blank or black capture has
# one or two).
set -euo pipefail
cd "$(dirname "$0")/.."
for f in docs/screenshots/main-{en,fa}.png docs/screenshots/settings-{en,fa}.png docs/screenshots/sharing-{en,fa}.png docs/screenshots/tor-{settings,missing,bootstrap}-{en,fa}.png docs/screenshots/first-run-{connection,sources}-{en,fa}.png; do
  [ -s "$f" ] || { echo "screenshot-check: $f is missing" >&2; exit 1; }
  size=$(identify -format '%wx%h' "$f")
  colours=$(identify -format '%k' "$f")
  [ "$size" = 1200x760 ] || { echo "screenshot-check: $f is $size" >&2; exit 1; }
  [ "$colours" -gt 50 ] || { echo "screenshot-check: $f has $colours colours: nothing drawn?" >&2; exit 1; }
  echo "$f: $size, $colours colours"
done
