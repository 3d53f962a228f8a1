#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   scripts/kvscope.sh run [APP ARGS...]   install what is missing, build, start the app
#   scripts/kvscope.sh test                install what is missing, build, run every test
#   scripts/kvscope.sh build               install what is missing and build
#   scripts/kvscope.sh sanitize            the ASan + UBSan + LSan build (clang 14, build-sanitize/):
#                                          every test, and beside them a short run of every fuzz
#                                          target (KVSCOPE_FUZZ_SECONDS each, default 15)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6svg6-dev libqt6opengl6-dev libgl-dev
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
    echo "usage: scripts/kvscope.sh run|test|build|sanitize" >&2
    exit 2
    ;;
esac
