#!/usr/bin/env bash
# One-step set-up for senet-lab on Debian 12: system packages, npm packages,
# the native addon (cmake-js against libtorch) and the TypeScript build.
# Safe to re-run: installed packages and an up-to-date build cost nothing.
#
#   TORCH_DIR=/path/to/libtorch bash scripts/setup.sh   # build against another libtorch (e.g. CUDA)
#   SENET_ENGINE=torch2-cpu bash scripts/setup.sh        # + PyTorch 2.13 (pip) in .venv-torch2-cpu, addon in build-torch2-cpu/
#   SENET_ENGINE=torch2-cuda bash scripts/setup.sh       # + PyTorch 2.14.1 CUDA 13 in .venv-torch2-cuda, build-torch2-cuda/
# SENET_ENGINE: debian (the default: Debian's libtorch-dev 1.13, build/), torch2-cpu, torch2-cuda
# (scripts/engine.sh; build/ is left as it is, load the engine's addon with SENET_ADDON).
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${SENET_ENGINE:-debian}
case "$ENGINE" in
  debian | torch2-cpu | torch2-cuda) ;;
  *) echo "setup: unknown SENET_ENGINE '$ENGINE' (valid: debian, torch2-cpu, torch2-cuda)" >&2; exit 2 ;;
esac

# Runtime: libtorch + OpenBLAS (Debian's default reference BLAS is ~30x slower).
# Build: cmake, g++, nlohmann-json, Gloo's headers (libtorch's c10d, native/dist); images: libjpeg-turbo (TurboJPEG), libpng, zlib. Tests only: python3-torch(vision) as the
# PyTorch reference; chromium renders report.html in a test; clang-14 + its sanitizer and libFuzzer runtimes
# build the parser fuzzers (npm run fuzz). Data: Fashion-MNIST, the offline real dataset.
PACKAGES=(
  libtorch-dev libopenblas0-openmp nlohmann-json3-dev libgloo-dev cmake g++ make iproute2
  libturbojpeg0-dev libpng-dev zlib1g-dev
  python3-torch python3-torchvision python3-pil chromium dataset-fashion-mnist
  clang-14 libclang-rt-14-dev
)
# The pip engines' venv (scripts/engine.sh).
[[ $ENGINE != debian ]] && PACKAGES+=(python3-venv)
if [[ -n "${TORCH_DIR:-}" ]]; then
  # A user-supplied libtorch replaces Debian's at build time; keep the rest.
  PACKAGES=("${PACKAGES[@]/libtorch-dev}")
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  [[ -z "$pkg" ]] && continue
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
else
  echo "setup: Debian packages already installed"
fi

# npm packages: reinstall only when the lockfile changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
else
  echo "setup: node_modules up to date"
fi

if [[ $ENGINE != debian ]]; then
  bash scripts/engine.sh "$ENGINE"
  echo "setup: compiling TypeScript"
  node scripts/build-ts.js
  echo "setup: done ($ENGINE: SENET_ADDON=$PWD/build-$ENGINE/Release/senet_lab.node loads it)"
  exit 0
fi

echo "setup: building the native addon (cmake-js, libtorch)"
# SENET_TEST_ADDON: also senet_lab_testing.node, the addon the tests load (test hooks), and
# SENET_BUILD_NATIVE_TESTS: test/native (native/dist under real processes). `cmake-js configure`
# applies them to an existing build/ too (`cmake-js compile` would keep its cached settings); an
# up-to-date build then costs nothing.
configure_args=(configure --CDCMAKE_BUILD_TYPE=Release --CDSENET_TEST_ADDON=ON --CDSENET_BUILD_NATIVE_TESTS=ON)
[[ -n "${TORCH_DIR:-}" ]] && configure_args+=("--CDTORCH_DIR=${TORCH_DIR}")
npx cmake-js "${configure_args[@]}" > /dev/null
# Two parallel compile jobs: each libtorch translation unit needs ~1 GiB of RAM.
cmake --build build --parallel "$(nproc)"

echo "setup: compiling TypeScript"
node scripts/build-ts.js
echo "setup: done"
