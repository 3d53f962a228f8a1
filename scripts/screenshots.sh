#!/usr/bin/env bash
# Saves a PNG of every view of the real application, after a short generation, under a virtual
# X server (but the Compare and "Why only K and V" tabs, which the scenarios below fill):
#   scripts/screenshots.sh [OUT_DIR] [APP ARGS...]
# OUT_DIR defaults to docs/screenshots; APP ARGS go to kvscope (e.g. --synthetic llama-2-7b
# --layers 2). Without them the app opens its default model, stories260K from ../shared/models.
#   scripts/screenshots.sh --pool [OUT_DIR] [APP ARGS...]
# The block pool views with three sequences, two of whose prompts share their first blocks (the
# prefix cache on, blocks of 8 positions): saves pool_block_pool.png, pool_memory.png and
# pool_allocation_simulator.png only.
#   scripts/screenshots.sh --debugger [OUT_DIR] [APP ARGS...]
# A debugging session (docs/DEBUGGER.md): two branches with forced text and a breakpoint hit,
# the perturbation experiments and the logit lens; saves debugger_panel.png, debugger_window.png,
# debugger_lens.png, debugger_perturbation.png and debugger_perturbation_ffn.png only.
#   scripts/screenshots.sh --compare [OUT_DIR] [APP ARGS...]
# The Compare tab after a greedy run is compared with a sampled one (temperature 1, seed 7);
# saves compare_view.png and compare_window.png only.
#   scripts/screenshots.sh --lecture [OUT_DIR] [APP ARGS...]
# The pictures of a lecture after a run of about 500 positions: the attention heatmap fitted and
# zoomed, the ops of one token, the pace control, a chart in presentation mode and the same
# chart exported at 1600 x 900; saves lecture_*.png only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KVSCOPE_BUILD_DIR:-$root/build}"
pool=0
debugger=0
compare=0
lecture=0
if [ "${1:-}" = "--pool" ]; then pool=1; shift; fi
if [ "${1:-}" = "--debugger" ]; then debugger=1; shift; fi
if [ "${1:-}" = "--lecture" ]; then lecture=1; shift; fi
if [ "${1:-}" = "--compare" ]; then compare=1; shift; fi
out="${1:-$root/docs/screenshots}"
shift || true
mkdir -p "$out"
out="$(cd "$out" && pwd)"

[ -f "$build/build.ninja" ] || cmake --preset release
cmake --build "$build" -j2 --target kvscope

# From the checkout, so that ../shared/models is found beside it; a fixed screen and style so
# that pictures compare between runs.
cd "$root"
shoot() {
  xvfb-run -a -s "-screen 0 1600x1000x24" env QT_STYLE_OVERRIDE=Fusion \
    "$build/app/kvscope" --screenshot "$@"
}
if [ "$debugger" -eq 1 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  shoot "$work" --screenshot-debugger "$@"
  cp "$work/tab_debugger.png" "$out/debugger_panel.png"
  cp "$work/window.png" "$out/debugger_window.png"
  cp "$work"/debugger_lens.png "$work"/debugger_perturbation.png "$work"/debugger_perturbation_ffn.png "$out/"
  ls -1 "$out"/debugger_*.png
  exit 0
fi
if [ "$compare" -eq 1 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  shoot "$work" --screenshot-compare "$@"
  cp "$work/tab_compare.png" "$out/compare_view.png"
  cp "$work/window.png" "$out/compare_window.png"
  ls -1 "$out"/compare_*.png
  exit 0
fi
if [ "$lecture" -eq 1 ]; then
  shoot "$out" --screenshot-lecture "$@"
  ls -1 "$out"/lecture_*.png
  exit 0
fi
if [ "$pool" -eq 0 ]; then
  shoot "$out" "$@"
  # The Compare and "Why only K and V" tabs are empty until a comparison or an experiment runs:
  # their pictures come from --compare and --debugger (compare_view.png, debugger_perturbation.png).
  rm -f "$out/tab_compare.png" "$out/tab_why_only_k_and_v.png"
  ls -1 "$out"/*.png
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/prompts.txt" <<'PROMPTS'
Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.
The little dog ran to the big tree.
Once upon a time, there was a little girl named Lily. She had a red ball.
PROMPTS
shoot "$work" --prompts "$work/prompts.txt" --prefix-cache --block-size 8 "$@"
cp "$work/tab_block_pool.png" "$out/pool_block_pool.png"
cp "$work/tab_pool_memory.png" "$out/pool_memory.png"
cp "$work/tab_allocation_simulator.png" "$out/pool_allocation_simulator.png"
ls -1 "$out"/pool_*.png
