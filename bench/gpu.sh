#!/usr/bin/env bash
# The GPU check, in one script, for a machine with an NVIDIA GPU, CUDA, CMake
# (+ ninja or make), a C++ compiler and python3 with a CUDA torch + torchvision
# — no Node.js and no network needed:
#   1. unpacks the node binary carried in bench/.gpu-carry (made here by bench/gpu-pack.sh);
#   2. builds the addon against that machine's libtorch (torch.utils.cmake_prefix_path)
#      into its own build folder (never a build made elsewhere);
#   3. CUDA parity: forward logits and 10 SGD steps vs PyTorch eager on the same GPU
#      (fp32 with TF32 off: 1e-4; bf16 autocast: 1e-2)   -> bench/gpu_parity.js
#   4. training throughput vs PyTorch eager (resnet50 224² batch 256 bf16 channels_last,
#      resnet18 64² batch 8), one markdown table            -> bench/gpu_bench.js
#   5. with 2+ GPUs: 1 GPU vs 2 GPUs data-parallel over NCCL  -> bench/distributed.js --gpus
# Results go to $OUT/gpu.json when OUT is set. Exit status: 0 all parity checks
# passed, 1 a parity check failed, 2+ something broke.
#
#   bash bench/gpu-pack.sh                   # here, once: prepares bench/.gpu-carry
#   bash bench/gpu.sh                        # on the GPU machine
#   SENET_GPU_DRYRUN=1 bash bench/gpu.sh     # anywhere: CPU, tiny sizes, fp32 only, Debian's
#                                            # libtorch and /usr/bin/python3; same steps otherwise
set -euo pipefail
START=$SECONDS
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DRY=${SENET_GPU_DRYRUN:-0}
CARRY=${SENET_GPU_CARRY:-$ROOT/bench/.gpu-carry}
log() { printf '[gpu.sh %4ss] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() { log "error: $*"; exit 3; }

if [ "$DRY" = 1 ]; then
  PY=${SENET_PYTHON:-/usr/bin/python3}
  BUILD=${SENET_GPU_BUILD:-$ROOT/build-gpu-dryrun}
  DEVICE=cpu
  JOBS=${SENET_GPU_JOBS:-1}
else
  PY=${SENET_PYTHON:-python3}
  BUILD=${SENET_GPU_BUILD:-$ROOT/build-gpu}
  DEVICE=cuda
  JOBS=${SENET_GPU_JOBS:-$(nproc)}
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/senet-gpu.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- 1. node ------------------------------------------------------------------
[ -f "$CARRY/node.xz" ] || die "no $CARRY/node.xz: run 'bash bench/gpu-pack.sh' on a machine with Node.js and carry bench/.gpu-carry"
"$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$CARRY/node.xz" "$WORK/node"
chmod +x "$WORK/node"
NODE=$WORK/node
log "node $("$NODE" --version) (carried)"

# --- 2. libtorch and the build ---------------------------------------------------
"$PY" "$ROOT/bench/gpu_reference.py" "{\"cmd\": \"info\", \"device\": \"$DEVICE\"}" > "$WORK/torch.json"
log "python torch: $(cat "$WORK/torch.json")"
TORCH_ARGS=()
if [ "$DRY" = 1 ]; then
  log "dry run: Debian's libtorch (the default of CMakeLists.txt)"
else
  TORCH_PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')
  [ -f "$TORCH_PREFIX/Torch/TorchConfig.cmake" ] || die "no TorchConfig.cmake under $TORCH_PREFIX"
  "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' || die "torch.cuda.is_available() is False"
  TORCH_ARGS=(-DTORCH_DIR="$TORCH_PREFIX")
  log "libtorch: $TORCH_PREFIX"
fi
GENERATOR=()
command -v ninja > /dev/null && GENERATOR=(-G Ninja)
CMAKE_ARGS=(
  -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release "${TORCH_ARGS[@]}"
  -DCMAKE_JS_INC="$CARRY/node_modules/node-api-headers/include"
  -DNODE_ADDON_API_DIR="$CARRY/node_modules/node-addon-api"
  -DNLOHMANN_JSON_INCLUDE_DIR="$CARRY/include"
  -DSENET_REQUIRE_CODECS=OFF
)
# The benchmark uses in-memory data: no image codecs needed where they are missing.
# The dry run builds as a bare GPU host would (no system json/png/zlib packages).
if [ "$DRY" = 1 ]; then
  CMAKE_ARGS+=(-DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON -DCMAKE_DISABLE_FIND_PACKAGE_PNG=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON)
else
  # No CUDA code of ours is compiled; this only quiets libtorch's arch detection.
  CMAKE_ARGS+=(-DTORCH_CUDA_ARCH_LIST=9.0)
fi
log "configure: $BUILD"
cmake "${CMAKE_ARGS[@]}" > "$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log" >&2; die "cmake configure failed"; }
grep -E 'senet-lab|WARNING' "$WORK/configure.log" | sed 's/^/    /' >&2 || true
log "build ($JOBS jobs)"
cmake --build "$BUILD" --parallel "$JOBS" > "$WORK/build.log" 2>&1 || { tail -60 "$WORK/build.log" >&2; die "build failed"; }
ADDON=$(find "$BUILD" -name 'senet_lab.node' -newer "$WORK/torch.json" -print -quit)
[ -n "$ADDON" ] || ADDON=$(find "$BUILD" -name 'senet_lab.node' -print -quit)
[ -n "$ADDON" ] || die "no senet_lab.node in $BUILD"
export SENET_ADDON=$ADDON SENET_DIST=$CARRY/dist/lib NODE_PATH=$CARRY/node_modules
"$NODE" -e "const s = require(process.env.SENET_DIST); const i = s.runtimeInfo(); console.error('    addon: libtorch ' + i.torchVersion + ', CUDA ' + i.cudaAvailable + ' (' + i.cudaDeviceCount + ' devices), ' + i.threads + ' threads');
  if ('$DEVICE' === 'cuda' && !i.cudaAvailable) process.exit(1);" || die "the addon does not see CUDA"
log "built $ADDON"

# --- 3. parity --------------------------------------------------------------------
log "parity on $DEVICE"
DRY_FLAG=()
[ "$DRY" = 1 ] && DRY_FLAG=(--dry)
PARITY_STATUS=0
"$NODE" "$ROOT/bench/gpu_parity.js" --device "$DEVICE" --python "$PY" --work "$WORK/parity" "${DRY_FLAG[@]}" | tee "$WORK/parity.out" || PARITY_STATUS=$?
[ "$PARITY_STATUS" -le 1 ] || die "parity run failed (status $PARITY_STATUS)"

# --- 4. throughput -------------------------------------------------------------------
log "training throughput on $DEVICE"
"$NODE" "$ROOT/bench/gpu_bench.js" --device "$DEVICE" --python "$PY" "${DRY_FLAG[@]}" | tee "$WORK/bench.out" || die "benchmark failed"

# --- 5. data-parallel over 2 GPUs (NCCL), where there are two ---------------------------
GPUS=$("$NODE" -e "console.log(require(process.env.SENET_DIST).runtimeInfo().cudaDeviceCount)")
if [ "$DRY" != 1 ] && [ "$GPUS" -ge 2 ]; then
  log "data-parallel on 2 GPUs (NCCL)"
  "$NODE" "$ROOT/bench/distributed.js" --gpus --quick --out "$WORK/dist" | tee "$WORK/dist.out" || die "2-GPU benchmark failed"
else
  log "data-parallel on 2 GPUs: skipped ($GPUS GPU(s) visible${DRY:+, dry run})"
fi

# --- results --------------------------------------------------------------------------
log "done in $((SECONDS - START)) s; parity $([ "$PARITY_STATUS" = 0 ] && echo passed || echo FAILED)"
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  "$PY" - "$WORK" "$OUT/gpu.json" "$DRY" "$((SECONDS - START))" <<'PY'
import json, sys
work, out, dry, seconds = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
last = lambda f: json.loads(open(f"{work}/{f}").read().strip().splitlines()[-1])
result = {"dryRun": dry, "seconds": seconds, "torch": json.load(open(f"{work}/torch.json")),
          **last("parity.out"), **last("bench.out")}
json.dump(result, open(out, "w"), indent=2)
PY
  cp "$WORK/configure.log" "$WORK/build.log" "$OUT/" 2>/dev/null || true
  cp "$WORK/dist/distributed.json" "$OUT/gpu-distributed.json" 2>/dev/null || true
  log "wrote $OUT/gpu.json"
fi
exit "$PARITY_STATUS"
