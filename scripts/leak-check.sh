#!/usr/bin/env bash
# LeakSanitizer over a short run (scripts/leak-run.js: create a model, train 5 steps, predict, save, load,
# dispose): fails when a leak is reported whose allocation stack passes through project code (the addon,
# senet:: or senet_binding:: frames); leaks from elsewhere are printed but do not fail the check.
#
# LSan runs standalone here, preloaded into an unmodified node and addon: it intercepts malloc/free and, at
# exit, reports heap blocks that nothing points to any more ("definite" leaks). Memory still reachable at exit
# (libtorch's and Node's caches, the deliberately leaked compute thread) is not reported, so no suppressions are
# needed; if a libtorch or Node internal ever shows up, add a `leak:<function or library>` line to
# scripts/lsan.supp with the reason.
#
# Needs GCC's LSan runtime, liblsan.so.0 (Debian/Ubuntu: `sudo apt-get install liblsan0`; it comes with gcc).
# clang's libclang-rt-14-dev ships the LSan runtime only as a static library, which cannot be preloaded.
#
# Usage: bash scripts/leak-check.sh [addon.node]   (default: build/Release/senet_lab_testing.node; needs dist/,
# from `node scripts/build-ts.js`). Takes about a minute: the slow, exact unwinder gives full stacks.
set -euo pipefail
cd "$(dirname "$0")/.."

runtime=""
for candidate in /usr/lib/x86_64-linux-gnu/liblsan.so.0 /usr/lib/aarch64-linux-gnu/liblsan.so.0 \
  "$(gcc -print-file-name=liblsan.so 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then runtime="$candidate"; break; fi
done
if [ -z "$runtime" ]; then
  echo "leak-check: liblsan.so.0 not found; install it with: sudo apt-get install liblsan0" >&2
  exit 2
fi

addon="${1:-build/Release/senet_lab_testing.node}"
[ -f "$addon" ] || { echo "leak-check: no addon at $addon (build it: npm run build:native)" >&2; exit 2; }
[ -f dist/lib/index.js ] || { echo "leak-check: no dist/ (run: node scripts/build-ts.js)" >&2; exit 2; }

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
suppressions=""
[ -f scripts/lsan.supp ] && suppressions=":suppressions=$PWD/scripts/lsan.supp"

set +e
LD_PRELOAD="$runtime" \
  LSAN_OPTIONS="fast_unwind_on_malloc=0:malloc_context_size=40:print_suppressions=0:exitcode=23$suppressions" \
  SENET_ADDON="$addon" node --expose-gc scripts/leak-run.js >"$report" 2>&1
status=$?
set -e

cat "$report"
grep -q '^leak-run: done' "$report" || { echo "leak-check: the run did not finish (exit status $status)" >&2; exit 1; }

# One block per leak: "Direct leak of N byte(s) ..." followed by its stack, up to a blank line.
awk '
  /^(Direct|Indirect) leak of/ { kind = $1; block = $0 "\n"; inblock = 1; next }
  inblock && NF == 0 { if (kind == "Direct") { total++; if (block ~ /senet|\.node[+)]/) ours++ } inblock = 0; next }
  inblock { block = block $0 "\n" }
  END { printf "leak-check: %d definite leak(s), %d of them through project code\n", total, ours; exit (ours > 0) }
' "$report"
