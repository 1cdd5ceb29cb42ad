#!/usr/bin/env bash
# The pip-torch engines: a project-local venv with PyTorch from pip, and the addon built against
# that torch's libtorch into the engine's own build folder (build/ stays Debian's).
#
#   bash scripts/engine.sh torch2-cpu    # torch 2.13.0+cpu -> .venv-torch2-cpu, build-torch2-cpu/
#   bash scripts/engine.sh torch2-cuda   # torch 2.14.1 (CUDA 13) + nvidia-* wheels -> .venv-torch2-cuda,
#                                        # build-torch2-cuda/ (needs nvcc 13.0 on PATH; no GPU needed)
#
# scripts/setup.sh calls it for SENET_ENGINE=torch2-cpu|torch2-cuda, after the Debian packages and
# npm ci. The venv's python is also the PyTorch reference of that engine's tests (SENET_PYTHON).
# Settings (environment): SENET_TEST_ADDON (ON|OFF: also senet_lab_testing.node; default ON for
# torch2-cpu, OFF for torch2-cuda), SENET_CUDA_ARCH (default 9.0), SENET_BUILD_JOBS (default nproc).
# pip reads this machine's configured indexes (pip config list); PIP_INDEX_URL / PIP_EXTRA_INDEX_URL
# override them as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${1:-}
case "$ENGINE" in
  torch2-cpu)
    TORCH_REQ="torch==2.13.0+cpu"; TORCH_VERSION=2.13.0; TEST_ADDON=${SENET_TEST_ADDON:-ON}
    EXTRA=(numpy) ;;
  torch2-cuda)
    TORCH_REQ="torch==2.14.1"; TORCH_VERSION=2.14.1; TEST_ADDON=${SENET_TEST_ADDON:-OFF}
    # torch 2.14.1's metadata requires cuda-bindings (and triton), which the local index lacks:
    # torch and the CUDA 13 wheels go in without dependencies, then the pure-Python ones.
    NVIDIA=(nvidia-cuda-runtime nvidia-cuda-nvrtc nvidia-nccl-cu13 nvidia-cublas nvidia-cusparse nvidia-cusolver nvidia-cufft nvidia-cufile
      nvidia-curand nvidia-cusparselt-cu13 nvidia-cudnn-cu13 nvidia-nvshmem-cu13 nvidia-nvjitlink nvidia-cuda-cupti nvidia-nvtx)
    EXTRA=(filelock typing-extensions sympy networkx jinja2 fsspec numpy) ;;
  *)
    echo "engine.sh: unknown engine '$ENGINE' (valid: torch2-cpu, torch2-cuda; the default engine, debian, is scripts/setup.sh's own)" >&2
    exit 2 ;;
esac
VENV=.venv-$ENGINE
BUILD=build-$ENGINE
PY=$VENV/bin/python

# --- the venv and torch ---------------------------------------------------------------------
# Debian's python3 (3.11, the wheels' cp311); the venv is isolated from its torch 1.13.
if [[ ! -x $PY ]]; then
  echo "engine: creating $VENV (/usr/bin/python3 -m venv)"
  /usr/bin/python3 -m venv "$VENV"
fi
# pip: the configured local indexes only, so an unreachable default index is never waited on.
PIP=("$PY" -m pip install -q --disable-pip-version-check)
# Elsewhere (no configured index): PyPI plus PyTorch's own index, which has the +cpu and cu130 builds.
if [[ -z "${PIP_INDEX_URL:-}" ]]; then
  index=$("$PY" -m pip config get global.extra-index-url 2>/dev/null || true)
  links=$("$PY" -m pip config get global.find-links 2>/dev/null || true)
  if [[ -n "$index" ]]; then
    read -r -a urls <<< "$index"
    PIP+=(--index-url "${urls[0]}")
    for url in "${urls[@]:1}"; do PIP+=(--extra-index-url "$url"); done
  else
    [[ $ENGINE == torch2-cpu ]] && PIP+=(--extra-index-url https://download.pytorch.org/whl/cpu)
    [[ $ENGINE == torch2-cuda ]] && PIP+=(--extra-index-url https://download.pytorch.org/whl/cu130)
  fi
  [[ -n "$links" ]] && PIP+=(--find-links "$links")
fi
# The venv records what was installed into it (.senet-engine): a changed package list installs again.
WANT="$TORCH_REQ ${NVIDIA[*]:-} ${EXTRA[*]}"
have=$("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)
if [[ "${have%%+*}" != "$TORCH_VERSION" || "$(cat "$VENV/.senet-engine" 2>/dev/null)" != "$WANT" ]]; then
  echo "engine: installing $TORCH_REQ into $VENV"
  # pip's status is the pipeline's (pipefail); only its notes about index folders are dropped.
  pip_install() { "${PIP[@]}" "$@" 2>&1 | { grep -v 'is ignored' || true; }; }
  if [[ $ENGINE == torch2-cuda ]]; then
    pip_install --no-deps "$TORCH_REQ" "${NVIDIA[@]}"
  else
    pip_install "$TORCH_REQ"
  fi
  pip_install "${EXTRA[@]}"
  have=$("$PY" -c 'import torch; print(torch.__version__)') \
    || { echo "engine: torch does not import in $VENV after the install (see pip's output above)" >&2; exit 1; }
  [[ "${have%%+*}" == "$TORCH_VERSION" ]] || { echo "engine: $VENV has torch $have, expected $TORCH_VERSION" >&2; exit 1; }
  echo "$WANT" > "$VENV/.senet-engine"
else
  echo "engine: $VENV has torch $have"
fi
TORCH_DIR=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')

# --- the addon --------------------------------------------------------------------------------
# cmake-js for the node-api headers, as the default build does; CMakeLists.txt finds the rest from
# TORCH_DIR (the wheel's libtorch first, and for CUDA: nvcc's toolkit root, the nvidia wheels'
# libraries and headers).
args=(configure --out "$BUILD" --CDCMAKE_BUILD_TYPE=Release "--CDTORCH_DIR=$TORCH_DIR" "--CDSENET_TEST_ADDON=$TEST_ADDON"
  --CDSENET_BUILD_NATIVE_TESTS=OFF)
if [[ $ENGINE == torch2-cuda ]]; then
  command -v nvcc > /dev/null || [[ -n "${CUDACXX:-}" ]] \
    || { echo "engine: torch2-cuda needs nvcc (CUDA 13.0) on PATH or CUDACXX; no GPU is needed" >&2; exit 1; }
  arch=${SENET_CUDA_ARCH:-9.0}
  args+=("--CDTORCH_CUDA_ARCH_LIST=$arch")
fi
echo "engine: building $BUILD against $TORCH_DIR"
start=$SECONDS
mkdir -p "$BUILD"
npx cmake-js "${args[@]}" > "$BUILD/configure.log" 2>&1 \
  || { tail -30 "$BUILD/configure.log"; echo "engine: configure failed ($BUILD/configure.log)" >&2; exit 1; }
grep -E '^-- senet-lab' "$BUILD/configure.log" || true
cmake --build "$BUILD" --parallel "${SENET_BUILD_JOBS:-$(nproc)}"
echo "engine: $BUILD built in $((SECONDS - start)) s"
