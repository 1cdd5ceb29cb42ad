#!/usr/bin/env bash
# The GPU check, in one script, for a machine with an NVIDIA GPU, nvcc, CMake
# (+ ninja or make), a C++ compiler and python3 with a CUDA torch + torchvision
# — no Node.js and no network needed:
#   1. setup: unpacks the node binary and the compiled library carried in
#      bench/.gpu-carry (made here by bench/gpu-pack.sh); reads Python torch's
#      versions; checks that nvcc's CUDA release equals torch.version.cuda;
#   2. build: the addon against that machine's libtorch (torch.utils.cmake_prefix_path)
#      into its own build folder; prints ldd of the addon and which OpenMP runtime ATen uses;
#   3. parity: forward logits and SGD steps vs PyTorch eager on the same GPU
#      (fp32 with TF32 off: 1e-4; bf16 autocast: 1e-2)        -> bench/gpu_parity.js
#   4. event files: a short training run's TensorBoard file read back by Python's
#      tensorboard, where it is importable                      -> bench/gpu_tfevents.js
#   5. benchmark: training img/s vs PyTorch eager             -> bench/gpu_bench.js
#      (skipped, with a message, when the run so far leaves too little of the time budget)
#   6. with 2+ GPUs: 1 GPU vs 2 GPUs data-parallel over NCCL   -> bench/distributed.js --gpus
#
# Every line of output also goes to $OUT/gpu.log (OUT unset: a temporary folder,
# named at the end); configure.log, build.log, parity.log, tfevents.log and bench.log
# are written there as each phase runs, and gpu.json (versions, phase times, results,
# the failure) on any exit — so a failed run still brings its logs back.
#
# The whole run is bounded: every phase runs under a hard deadline (SENET_GPU_DEADLINE_S, default
# the budget + 80 s = 560 s, inside a 10-minute command limit, so the trap still writes gpu.json), and
# the benchmark is skipped when less than SENET_GPU_BENCH_RESERVE_S (150 s) is left of the
# budget SENET_GPU_BUDGET_S (480 s; 7000 s in a dry run, which builds on a CPU machine's cores)
# after the parity — a slow build costs the benchmark, never the parity.
#
# Exit status:
#   0  parity passed (the benchmark ran, or was skipped for time)
#   1  parity FAILED: a case outside its tolerance
#   2  the benchmark failed (parity passed)
#   3  could not set up or build: carried files, Python torch, nvcc vs torch CUDA, configure,
#      build, loading the addon
#   4  the parity run itself broke (crashed, or ran out of time)
#   5  the event-file check failed (parity passed)
#
#   bash bench/gpu-pack.sh                 # here, once: prepares bench/.gpu-carry
#   OUT=/some/dir bash bench/gpu.sh        # on the GPU machine
#   SENET_GPU_DRYRUN=1 bash bench/gpu.sh   # anywhere: CPU, tiny sizes, fp32 only, Debian's
#                                          # libtorch and /usr/bin/python3; same steps otherwise
#   SENET_GPU_DRYRUN=1 SENET_PYTHON=.venv-torch2-cuda/bin/python \
#     SENET_GPU_DRYRUN_ADDON=build-torch2-cuda/Release/senet_lab.node bash bench/gpu.sh
#                                          # the CUDA 13 build on CPU (.ci/run does this)
# Settings (environment): SENET_PYTHON (default /opt/torch/.venv/bin/python3 when it exists, else
# python3), SENET_NVCC (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc), SENET_GPU_BUILD
# (build folder), SENET_GPU_JOBS, SENET_GPU_BUDGET_S, SENET_GPU_BENCH_RESERVE_S,
# SENET_GPU_DEADLINE_S, SENET_GPU_STOP_AFTER=setup (stop after the checks of phase 1),
# SENET_GPU_CMAKE_ARGS (extra configure arguments), SENET_GPU_CARRY (the carried folder),
# SENET_GPU_DRYRUN_TORCH_CUDA (a dry run with a CPU torch: the CUDA release to check nvcc against),
# SENET_GPU_DRYRUN_ADDON (a dry run: configure, then use this addon instead of building one),
# SENET_GPU_DRYRUN_ARCH (a dry run with a CUDA torch and no GPU: TORCH_CUDA_ARCH_LIST, default 9.0).
# A dry run builds against the libtorch of SENET_PYTHON's torch (Debian's for /usr/bin/python3): with
# SENET_PYTHON=.venv-torch2-cuda/bin/python it configures the CUDA 13 wheel exactly as the GPU machine will.
set -uo pipefail
START=$SECONDS
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DRY=${SENET_GPU_DRYRUN:-0}
CARRY=${SENET_GPU_CARRY:-$ROOT/bench/.gpu-carry}
# A dry run builds on whatever CPUs there are: it gets hours, not the GPU machine's minutes.
[ "$DRY" = 1 ] && DEFAULT_BUDGET=7000 || DEFAULT_BUDGET=480
BUDGET=${SENET_GPU_BUDGET_S:-$DEFAULT_BUDGET}
BENCH_RESERVE=${SENET_GPU_BENCH_RESERVE_S:-150}
DEADLINE=${SENET_GPU_DEADLINE_S:-$((BUDGET + 80))}
STOP_AFTER=${SENET_GPU_STOP_AFTER:-}

if [ "$DRY" = 1 ]; then
  PY=${SENET_PYTHON:-/usr/bin/python3}
  BUILD=${SENET_GPU_BUILD:-$ROOT/build-gpu-dryrun}
  DEVICE=cpu
  JOBS=${SENET_GPU_JOBS:-1}
else
  DEFAULT_PY=python3
  [ -x /opt/torch/.venv/bin/python3 ] && DEFAULT_PY=/opt/torch/.venv/bin/python3
  PY=${SENET_PYTHON:-$DEFAULT_PY}
  BUILD=${SENET_GPU_BUILD:-$ROOT/build-gpu}
  DEVICE=cuda
  JOBS=${SENET_GPU_JOBS:-$(nproc)}
fi
NVCC=${SENET_NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/senet-gpu.XXXXXX")
if [ -n "${OUT:-}" ]; then LOGS=$OUT; else LOGS=$WORK/logs; fi
mkdir -p "$LOGS"
rm -f "$LOGS"/{gpu.log,gpu.json,gpu-distributed.json,configure.log,build.log,parity.log,tfevents.log,bench.log}
# Everything printed from here on is also in gpu.log.
exec > >(tee -a "$LOGS/gpu.log") 2>&1
TEE_PID=$!

# --- bookkeeping: phases, failures, the trap -----------------------------------------------
PHASE=start
PHASE_START=$SECONDS
PHASE_TIMES=()
STATUS=0
FAILURE=""
PARITY_STATUS=""
TFEVENTS_STATUS=""
BENCH_STATUS=""
RPATH_CHECK=""
STOPPED=""
log() { printf '[gpu.sh %4ss] %s\n' "$((SECONDS - START))" "$*"; }
phase() {
  [ "$PHASE" = start ] || PHASE_TIMES+=("$PHASE=$((SECONDS - PHASE_START))")
  [ "$PHASE" = start ] || log "$PHASE took $((SECONDS - PHASE_START)) s"
  PHASE=$1
  PHASE_START=$SECONDS
  log "--- $PHASE"
}
# fail CODE MESSAGE: record the failure and exit (the trap writes gpu.json).
fail() {
  STATUS=$1
  FAILURE="$PHASE: $2"
  log "FAILED ($1) in $PHASE: $2"
  exit "$1"
}
# Seconds left before the hard deadline (at least 1, for timeout).
left() { local l=$((DEADLINE - (SECONDS - START))); [ "$l" -gt 0 ] && echo "$l" || echo 1; }
# field KEY[.KEY]: a value from the Python reference's report of torch (torch.json).
field() {
  "$PY" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$WORK/torch.json" "$1"
}

finish() {
  local code=$?
  set +e
  # An exit nobody explained (an unexpected command failure) counts as a setup/build failure
  # before the parity phase, and as the parity run breaking after it.
  if [ "$code" != 0 ] && [ -z "$FAILURE" ]; then
    FAILURE="$PHASE: unexpected exit status $code"
    case "$PHASE" in start | setup | build) code=3 ;; *) code=4 ;; esac
  fi
  PHASE_TIMES+=("$PHASE=$((SECONDS - PHASE_START))")
  local verdict=${STOPPED:-passed}
  case "$code" in 0) ;; 1) verdict="parity FAILED" ;; 2) verdict="benchmark failed" ;;
    3) verdict="could not set up or build" ;; 4) verdict="parity run broke" ;; 5) verdict="event-file check failed" ;;
    *) verdict="status $code" ;; esac
  log "done in $((SECONDS - START)) s: $verdict (exit $code)${FAILURE:+; $FAILURE}"
  "$PY" - "$WORK" "$LOGS" "$LOGS/gpu.json" "$DRY" "$((SECONDS - START))" "$code" "$verdict" "$FAILURE" \
    "${PHASE_TIMES[*]}" "$RPATH_CHECK" > /dev/null 2>&1 <<'PY' || printf '{"exitCode": %s, "failure": "%s"}\n' "$code" "${FAILURE//\"/\'}" > "$LOGS/gpu.json"
import json, os, sys
work, logs, out, dry, seconds, code, verdict, failure, phases, rpath = sys.argv[1:11]
def last_json(name, folder=work):
    try:
        lines = [l for l in open(os.path.join(folder, name)).read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}
result = {"dryRun": dry == "1", "seconds": int(seconds), "exitCode": int(code), "verdict": verdict,
          "failure": failure or None, "phaseSeconds": {k: int(v) for k, v in (p.split("=") for p in phases.split())},
          "torch": last_json("torch.json"), "addon": last_json("addon.json"), "rpathCheck": rpath or None,
          **last_json("parity.log", logs), **last_json("tfevents.log", logs), **last_json("bench.log", logs)}
json.dump(result, open(out, "w"), indent=2)
PY
  cp "$WORK/dist/distributed.json" "$LOGS/gpu-distributed.json" 2>/dev/null
  [ -n "${OUT:-}" ] || log "logs in $LOGS (set OUT to choose the folder)"
  if [ -n "${OUT:-}" ]; then rm -rf "$WORK"; else rm -rf "$WORK/carry" "$WORK/node" "$WORK/parity" "$WORK/tfevents"; fi
  # Let gpu.log's writer finish before the caller collects the folder.
  exec 1>&- 2>&-
  wait "$TEE_PID" 2> /dev/null
  exit "$code"
}
trap finish EXIT
trap 'fail 3 "interrupted"' INT TERM

log "senet-lab GPU check: $([ "$DRY" = 1 ] && echo 'DRY RUN (CPU)' || echo 'CUDA'); budget ${BUDGET} s; logs in $LOGS"

# --- 1. setup --------------------------------------------------------------------------------
phase setup
[ -f "$CARRY/node.xz" ] || fail 3 "no $CARRY/node.xz: run 'bash bench/gpu-pack.sh' on a machine with Node.js and carry bench/.gpu-carry"
[ -d "$CARRY/dist/lib" ] && [ -d "$CARRY/node_modules" ] || fail 3 "$CARRY lacks dist/lib or node_modules: run 'bash bench/gpu-pack.sh' again"
"$PY" -c 'import sys; print(sys.version.split()[0])' > /dev/null 2>&1 || fail 3 "python '$PY' does not run (set SENET_PYTHON)"
"$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
  "$CARRY/node.xz" "$WORK/node" || fail 3 "could not unpack $CARRY/node.xz"
chmod +x "$WORK/node"
NODE=$WORK/node
NODE_VERSION=$("$NODE" --version 2>&1) || fail 3 "the carried node does not run here: $NODE_VERSION"
# The compiled library and its packages, outside the checkout: Node resolves packages by walking
# up from the importing file, so only what was carried can be found (as on a machine without Node).
mkdir -p "$WORK/carry"
cp -R "$CARRY/dist" "$CARRY/node_modules" "$WORK/carry/" || fail 3 "could not copy the carried library"
export SENET_DIST=$WORK/carry/dist/lib
"$NODE" -e "require(process.env.SENET_DIST); require(process.env.SENET_DIST + '/record/tensorboard')" \
  || fail 3 "the carried library does not load (a package missing from $CARRY/node_modules?): run 'bash bench/gpu-pack.sh' again"
log "node $NODE_VERSION (carried), library $SENET_DIST"

"$PY" "$ROOT/bench/gpu_reference.py" "{\"cmd\": \"info\", \"device\": \"$DEVICE\"}" > "$WORK/torch.json" 2> "$WORK/torch.err" \
  || { cat "$WORK/torch.err"; fail 3 "the Python reference could not report torch's versions (python: $PY)"; }
TORCH_VERSION=$(field torch)
TORCH_CUDA=$(field cuda)
CUDNN=$(field cudnn)
GPU=$(field gpu)
log "python $(field python) at $PY: torch $TORCH_VERSION, CUDA ${TORCH_CUDA:-none (CPU build)}, cuDNN ${CUDNN:-none}, GPU ${GPU:-none}"
log "torch's OpenMP: $(field parallel.backend), $(field parallel.openmp)"
[ "$DRY" = 1 ] || [ "$(field cudaAvailable)" = True ] || fail 3 "torch.cuda.is_available() is False with $PY"

# nvcc must be the CUDA release torch was built with: a CUDA libtorch's CMake files enable CUDA
# with this compiler and refuse a toolkit of another version.
# (A dry run with a CPU torch can pretend a CUDA release, SENET_GPU_DRYRUN_TORCH_CUDA, to exercise this check.)
if [ "$DRY" = 1 ] && [ -z "$TORCH_CUDA" ]; then TORCH_CUDA=${SENET_GPU_DRYRUN_TORCH_CUDA:-}; fi
NVCC_RELEASE=""
if [ -x "$NVCC" ] || command -v "$NVCC" > /dev/null 2>&1; then
  NVCC_RELEASE=$("$NVCC" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)
fi
log "nvcc: ${NVCC_RELEASE:-not found} ($NVCC); torch.version.cuda: ${TORCH_CUDA:-none}"
if [ -n "$TORCH_CUDA" ]; then
  [ -n "$NVCC_RELEASE" ] || fail 3 "no usable nvcc at $NVCC (set SENET_NVCC): torch $TORCH_VERSION needs nvcc $TORCH_CUDA to configure"
  torch_mm=$(echo "$TORCH_CUDA" | cut -d. -f1,2)
  [ "$NVCC_RELEASE" = "$torch_mm" ] \
    || fail 3 "nvcc is CUDA $NVCC_RELEASE but torch $TORCH_VERSION was built with CUDA $torch_mm: put nvcc $torch_mm first on PATH or set SENET_NVCC"
  log "nvcc and torch agree: CUDA $NVCC_RELEASE"
elif [ "$DRY" = 1 ]; then
  log "dry run with a CPU torch: nothing to compare nvcc with"
fi
if [ "$STOP_AFTER" = setup ]; then STOPPED="stopped after setup (SENET_GPU_STOP_AFTER=setup)"; log "$STOPPED"; exit 0; fi

# --- 2. build ---------------------------------------------------------------------------------
phase build
TORCH_ARGS=()
TORCH_PREFIX=$(field cmakePrefixPath)
if [ "$DRY" = 1 ] && [[ "$TORCH_PREFIX" == /usr/lib/python3/* ]]; then
  log "dry run: Debian's libtorch (the default of CMakeLists.txt)"
else
  # The python's own libtorch (a dry run with a pip torch too: SENET_PYTHON=.venv-torch2-cuda/bin/python checks
  # this very recipe against the CUDA 13 wheel on a machine without a GPU). CMakeLists.txt finds the rest from
  # TORCH_DIR: the wheel's lib/ first, nvcc's toolkit root, nvrtc, NCCL and the nvidia/*/include dirs.
  [ -f "$TORCH_PREFIX/Torch/TorchConfig.cmake" ] || fail 3 "no TorchConfig.cmake under '$TORCH_PREFIX'"
  TORCH_ARGS=(-DTORCH_DIR="$TORCH_PREFIX")
  if [ -n "$(field cuda)" ]; then
    ARCH=$(field capability)
    # No GPU (a dry run): the GPU machine's architecture, sm_90 (H100/H200), unless SENET_GPU_DRYRUN_ARCH says otherwise.
    [ -n "$ARCH" ] || ARCH=${SENET_GPU_DRYRUN_ARCH:-9.0}
    TORCH_ARGS+=(-DCMAKE_CUDA_COMPILER="$NVCC" -DTORCH_CUDA_ARCH_LIST="$ARCH")
  fi
  # The wheel's own CUDA libraries (site-packages/nvidia/*/lib) for CMake's CUDA::<lib> targets: a
  # toolkit assembled from pip packages may lack them, and linking these is what runs anyway.
  while IFS= read -r arg; do [ -n "$arg" ] && TORCH_ARGS+=("$arg"); done < <("$PY" -c 'import json, sys; [print(f"-D{k}={v}") for k, v in json.load(open(sys.argv[1]))["cmakeCache"].items()]' "$WORK/torch.json")
  log "libtorch: $TORCH_PREFIX; CUDA architecture $ARCH"
fi
GENERATOR=()
command -v ninja > /dev/null && GENERATOR=(-G Ninja)
CMAKE_ARGS=(
  -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release -DSENET_TEST_ADDON=OFF "${TORCH_ARGS[@]}"
  -DCMAKE_JS_INC="$CARRY/node_modules/node-api-headers/include"
  -DNODE_ADDON_API_DIR="$CARRY/node_modules/node-addon-api"
  -DNLOHMANN_JSON_INCLUDE_DIR="$CARRY/include"
  -DSENET_REQUIRE_CODECS=OFF
)
# The benchmark uses in-memory data: no image codecs needed where they are missing.
# The dry run builds as a bare GPU host would (no system json/png/zlib packages).
if [ "$DRY" = 1 ]; then
  CMAKE_ARGS+=(-DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON -DCMAKE_DISABLE_FIND_PACKAGE_PNG=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON)
fi
# shellcheck disable=SC2206
[ -n "${SENET_GPU_CMAKE_ARGS:-}" ] && CMAKE_ARGS+=($SENET_GPU_CMAKE_ARGS)
# The configure runs in every case: a dry run against an addon built before (SENET_GPU_DRYRUN_ADDON: a CPU
# machine's full build is slow) still checks that this recipe configures against this python's libtorch.
log "configure: $BUILD"
printf '%q ' cmake "${CMAKE_ARGS[@]}" > "$LOGS/configure.log"
echo >> "$LOGS/configure.log"
timeout "$(left)" cmake "${CMAKE_ARGS[@]}" >> "$LOGS/configure.log" 2>&1 \
  || { tail -40 "$LOGS/configure.log"; fail 3 "cmake configure failed (configure.log)"; }
grep -E 'senet-lab|WARNING|CUDA detected' "$LOGS/configure.log" | sed 's/^/    /'
if [ "$DRY" = 1 ] && [ -n "${SENET_GPU_DRYRUN_ADDON:-}" ]; then
  ADDON=$SENET_GPU_DRYRUN_ADDON
  [ -f "$ADDON" ] || fail 3 "no addon at SENET_GPU_DRYRUN_ADDON=$ADDON"
  log "dry run: configured only; the addon at $ADDON instead of a build (SENET_GPU_DRYRUN_ADDON)"
else
  log "build ($JOBS jobs)"
  timeout "$(left)" cmake --build "$BUILD" --target senet_lab --parallel "$JOBS" > "$LOGS/build.log" 2>&1 \
    || { tail -60 "$LOGS/build.log"; fail 3 "the build failed or ran out of time (build.log)"; }
  ADDON=$(find "$BUILD" -name 'senet_lab.node' -print -quit)
  [ -n "$ADDON" ] || fail 3 "no senet_lab.node in $BUILD"
fi
export SENET_ADDON=$ADDON
# ldd: all of it into build.log, the libraries that matter here (and any not found) into the log.
{ echo "ldd $ADDON"; ldd "$ADDON"; } >> "$LOGS/build.log" 2>&1
log "built $ADDON; ldd (libtorch, CUDA, OpenMP, C++ runtime; all of it in build.log):"
ldd "$ADDON" | grep -E 'torch|c10|cuda|cublas|cudnn|nccl|nvrtc|nvJitLink|cusparse|cufft|curand|gomp|iomp|libomp|stdc\+\+|not found' | sed 's/^/    /'
# The CUDA libraries must be the wheel's (beside torch), not a system toolkit's copies.
if [ -n "$(field cuda)" ]; then
  SITE=$(field site)
  foreign=$(ldd "$ADDON" | awk '/lib(cudart|cublas|cublasLt|cudnn|nvrtc|nccl)[.]so/ {print $3}' | grep -v "^$SITE/" || true)
  if [ -z "$foreign" ]; then RPATH_CHECK="ok: CUDA libraries from $SITE/nvidia"; else RPATH_CHECK="WARNING: CUDA libraries from outside the wheel: $(echo $foreign)"; fi
  log "run-time path: $RPATH_CHECK"
fi
"$NODE" -e "
  const info = require(process.env.SENET_DIST).runtimeInfo();
  console.log(JSON.stringify(info));
  if ('$DEVICE' === 'cuda' && !info.cudaAvailable) process.exit(1);" > "$WORK/addon.json" \
  || { cat "$WORK/addon.json"; fail 3 "the addon does not load, or does not see CUDA"; }
"$NODE" -e "
  const i = JSON.parse(require('fs').readFileSync('$WORK/addon.json', 'utf8'));
  const o = i.openmp;
  console.log('    addon: libtorch ' + i.torchVersion + ', CUDA ' + i.cudaAvailable + ' (' + i.cudaDeviceCount + ' devices), ' + i.threads + ' threads');
  console.log('    OpenMP: ATen backend ' + o.atenBackend + '; ATen uses ' + (o.atenRuntime || 'none') + '; the addon uses ' + (o.ownRuntime || 'none'));
  console.log('    OpenMP: loaded runtimes ' + (o.loadedRuntimes.join(', ') || 'none') + '; per-thread counts reach ATen: ' + o.perThreadCountReachesATen);
  if (o.loadedRuntimes.length > 1 || !o.perThreadCountReachesATen) console.log('    WARNING: thread counts set by the addon do not all reach ATen (see docs/gpu.md)');"

# --- 3. parity --------------------------------------------------------------------------------
phase parity
DRY_FLAG=()
[ "$DRY" = 1 ] && DRY_FLAG=(--dry)
timeout "$(left)" "$NODE" "$ROOT/bench/gpu_parity.js" --device "$DEVICE" --python "$PY" --work "$WORK/parity" "${DRY_FLAG[@]}" 2>&1 \
  | tee "$LOGS/parity.log" | grep -v '^{' | sed 's/^/    /'
PARITY_STATUS=${PIPESTATUS[0]}
case "$PARITY_STATUS" in
  0) log "parity passed" ;;
  1) STATUS=1; FAILURE="parity: a case is outside its tolerance (parity.log)"; log "parity FAILED" ;;
  124) fail 4 "the parity run ran out of the time budget (parity.log)" ;;
  *) fail 4 "the parity run broke (status $PARITY_STATUS; parity.log)" ;;
esac

# --- 4. TensorBoard event files, read back by Python's tensorboard ------------------------------
phase tfevents
if "$PY" -c 'import tensorboard.backend.event_processing.event_accumulator' > /dev/null 2>&1; then
  timeout "$(left)" "$NODE" "$ROOT/bench/gpu_tfevents.js" --device "$DEVICE" --python "$PY" --work "$WORK/tfevents" 2>&1 \
    | tee "$LOGS/tfevents.log" | grep -v '^{' | sed 's/^/    /'
  TFEVENTS_STATUS=${PIPESTATUS[0]}
  if [ "$TFEVENTS_STATUS" = 0 ]; then
    log "event file read back by tensorboard: same scalars"
  elif [ "$STATUS" = 0 ]; then
    STATUS=5; FAILURE="tfevents: tensorboard read back other scalars, or the check broke (status $TFEVENTS_STATUS; tfevents.log)"; log "$FAILURE"
  fi
else
  TFEVENTS_STATUS=skipped
  echo "{\"tfevents\": {\"pass\": null, \"skipped\": \"tensorboard is not importable with $PY\"}}" > "$LOGS/tfevents.log"
  log "skipped: Python's tensorboard is not importable with $PY"
fi

# --- 5. throughput ---------------------------------------------------------------------------------
phase bench
if [ $((SECONDS - START)) -gt $((BUDGET - BENCH_RESERVE)) ]; then
  BENCH_STATUS=skipped
  echo "{\"benchSkipped\": \"$((SECONDS - START)) s of the ${BUDGET} s budget used after the parity; the benchmark needs ~${BENCH_RESERVE} s\"}" > "$LOGS/bench.log"
  log "benchmark SKIPPED: $((SECONDS - START)) s used of the ${BUDGET} s budget, and it needs about ${BENCH_RESERVE} s"
else
  timeout "$(left)" "$NODE" "$ROOT/bench/gpu_bench.js" --device "$DEVICE" --python "$PY" "${DRY_FLAG[@]}" 2>&1 \
    | tee "$LOGS/bench.log" | grep -v '^{' | sed 's/^/    /'
  BENCH_STATUS=${PIPESTATUS[0]}
  if [ "$BENCH_STATUS" != 0 ] && [ "$STATUS" = 0 ]; then
    STATUS=2; FAILURE="bench: the benchmark failed (status $BENCH_STATUS; bench.log)"; log "$FAILURE"
  fi
fi

# --- 6. data-parallel over 2 GPUs (NCCL), where there are two ---------------------------------------
GPUS=$("$NODE" -e "console.log(require(process.env.SENET_DIST).runtimeInfo().cudaDeviceCount)")
if [ "$DRY" != 1 ] && [ "${GPUS:-0}" -ge 2 ] && [ $((SECONDS - START)) -lt $((BUDGET - 60)) ]; then
  phase distributed
  timeout "$(left)" "$NODE" "$ROOT/bench/distributed.js" --gpus --quick --out "$WORK/dist" || log "2-GPU benchmark failed"
else
  log "data-parallel on 2 GPUs: skipped (${GPUS:-0} GPU(s) visible$([ "$DRY" = 1 ] && echo ', dry run'))"
fi
exit "$STATUS"
