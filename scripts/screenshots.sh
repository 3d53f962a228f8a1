#!/usr/bin/env bash
# Saves a PNG of every view of the real application, after a short generation, under a virtual
# X server:
#   scripts/screenshots.sh [OUT_DIR] [APP ARGS...]
# OUT_DIR defaults to docs/screenshots; APP ARGS go to kvscope (e.g. --synthetic llama-2-7b
# --layers 2). Without them the app opens its default model, stories260K from ../shared/models.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KVSCOPE_BUILD_DIR:-$root/build}"
out="${1:-$root/docs/screenshots}"
shift || true
mkdir -p "$out"
out="$(cd "$out" && pwd)"

[ -f "$build/build.ninja" ] || cmake --preset release
cmake --build "$build" -j2 --target kvscope

# From the checkout, so that ../shared/models is found beside it; a fixed screen and style so
# that pictures compare between runs.
cd "$root"
xvfb-run -a -s "-screen 0 1600x1000x24" env QT_STYLE_OVERRIDE=Fusion \
  "$build/app/kvscope" --screenshot "$out" "$@"
ls -1 "$out"/*.png
