#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang, -fsanitize=fuzzer,address,undefined)
# and runs each for a fixed time budget, starting from its seed corpus in
# fuzz/corpus/<target>/ (which also holds every input that once crashed a
# target, so each run replays them first). Prints the executions per target.
#
#   npm run fuzz                                # 60 s per target
#   bash scripts/fuzz.sh --seconds 5            # a short smoke (CI uses 3)
#   bash scripts/fuzz.sh --targets idx,cifar    # some targets only
#   bash scripts/fuzz.sh --build-only
#   bash scripts/fuzz.sh --check                # is a clang with libFuzzer installed?
#   SENET_FUZZ_SECONDS=300 npm run fuzz
#
# The targets parse bytes into structs and include no libtorch, so they build
# in seconds. Compiler: $CXX_FUZZ, else clang++-14, else clang++ (Debian:
# apt-get install clang-14 libclang-rt-14-dev). Exit status: 0 no finding,
# 1 a target crashed (the input is in build/fuzz/crashes/<target>/),
# 2 usage, 3 no clang with libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(safetensors_header idx cifar checkpoint_state image_decode)
seconds="${SENET_FUZZ_SECONDS:-60}"
targets=("${ALL_TARGETS[@]}")
build_only=0
check_only=0
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --targets) IFS=, read -r -a targets <<<"$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --check) check_only=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown argument '$1' (valid: --seconds N, --targets a,b, --build-only, --check)" >&2; exit 2 ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: --seconds must be a whole number of seconds >= 1, got '$seconds'" >&2
  exit 2
fi
for t in "${targets[@]}"; do
  if [[ ! " ${ALL_TARGETS[*]} " == *" $t "* ]]; then
    echo "fuzz: unknown target '$t' (valid: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
done

cxx="${CXX_FUZZ:-}"
if [[ -z "$cxx" ]]; then
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null; then cxx="$candidate"; break; fi
  done
fi
out=build/fuzz
mkdir -p "$out"
if [[ -z "$cxx" ]] || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, long) { return 0; }' |
    "$cxx" -x c++ - -fsanitize=fuzzer,address,undefined -o "$out/.probe" 2>/dev/null; then
  echo "fuzz: no clang with libFuzzer found (tried ${cxx:-clang++-14, clang++}); on Debian: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 3
fi
if ((check_only)); then
  echo "fuzz: $cxx with libFuzzer, AddressSanitizer and UBSan"
  exit 0
fi

# The product's parser sources each target links, and the libraries they need.
sources_of() {
  case "$1" in
    safetensors_header) echo native/io/safetensors_header.cpp ;;
    idx|cifar) echo native/data/record_formats.cpp ;;
    checkpoint_state) echo native/train/checkpoint_state.cpp ;;
    image_decode) echo native/data/image_codec.cpp ;;
  esac
}
libs_of() { [[ "$1" == image_decode ]] && echo "-lturbojpeg -lpng" || true; }
dict_of() { case "$1" in safetensors_header|checkpoint_state) echo fuzz/json.dict ;; esac; }

flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Inative)
build_start=$SECONDS
pids=()
for t in "${targets[@]}"; do
  read -r -a srcs <<<"$(sources_of "$t")"
  newest=$(ls -t "fuzz/$t.cpp" "${srcs[@]}" native/*/*.h scripts/fuzz.sh | head -1)
  if [[ -x "$out/$t" && "$out/$t" -nt "$newest" ]]; then continue; fi
  echo "fuzz: building $t"
  # One compiler per target, all at once: each is a single small program.
  # shellcheck disable=SC2046
  "$cxx" "${flags[@]}" "fuzz/$t.cpp" "${srcs[@]}" $(libs_of "$t") -o "$out/$t" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || { echo "fuzz: a target failed to build" >&2; exit 1; }
done
echo "fuzz: built ${#targets[@]} target(s) in $((SECONDS - build_start)) s with $cxx"
((build_only)) && exit 0

status=0
printf '%-20s %12s %10s %8s  %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  work="$out/corpus/$t" crashes="$out/crashes/$t"
  mkdir -p "$work" "$crashes"
  dict=$(dict_of "$t")
  log="$out/$t.log"
  set +e
  # New inputs go to the working corpus under build/; the seeds stay as committed.
  "$out/$t" "$work" "fuzz/corpus/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" ${dict:+-dict=$dict} >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  files=$(find "$work" "fuzz/corpus/$t" -type f | wc -l)
  if ((rc == 0)); then
    result="no finding"
  else
    status=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result="FINDING (exit $rc): ${artifact:-see $log}"
    grep -m1 -E 'ERROR: |runtime error|terminate called|uncaught exception|what\(\)' "$log" | sed 's/^/    /' || true
  fi
  printf '%-20s %12s %10s %8s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$files" "$result"
done
((status == 0)) || echo "fuzz: reproduce a finding with build/fuzz/<target> <input>; logs in $out/<target>.log" >&2
exit $status
