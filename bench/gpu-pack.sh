#!/usr/bin/env bash
# Run HERE (a machine with Node.js and this checkout built): prepares
# bench/.gpu-carry/ (gitignored) with what bench/gpu.sh needs on a GPU machine
# that has CUDA, CMake, python3 + torch but no Node.js and no network:
#   node.xz                the node binary (xz; gpu.sh unpacks it with Python's lzma)
#   node_modules/          node-addon-api + node-api-headers (build), node-gyp-build (runtime)
#   include/nlohmann/      nlohmann/json headers (the addon's JSON library; header-only)
#   dist/                  the compiled TypeScript (dist/lib is all the benchmark imports)
# The addon itself is NOT carried: gpu.sh builds it there against that
# machine's libtorch. Carry the folder with the working tree (run's `carry`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CARRY=${SENET_GPU_CARRY:-$ROOT/bench/.gpu-carry}
NODE=$(command -v node) || { echo "gpu-pack.sh: node not found" >&2; exit 1; }
cd "$ROOT"
rm -rf "$CARRY"
mkdir -p "$CARRY/node_modules" "$CARRY/include"

# The compiled TypeScript, fresh.
npx tsc -p tsconfig.json
cp -R dist "$CARRY/dist"

for module in node-addon-api node-api-headers node-gyp-build; do
  src=$(node -p "require('path').dirname(require.resolve('$module/package.json'))")
  cp -RL "$src" "$CARRY/node_modules/$module"
done
# Only headers and the package files are needed from node-api-headers / node-addon-api.
rm -rf "$CARRY/node_modules/node-addon-api/tools" "$CARRY/node_modules/node-api-headers/def" 2>/dev/null || true

includes=$(echo '#include <nlohmann/json.hpp>' | g++ -x c++ -std=c++17 -H -fsyntax-only - 2>&1 || true)
json_header=$(printf '%s\n' "$includes" | awk '/nlohmann\/json.hpp$/ {print $2; exit}')
[ -n "$json_header" ] || { echo "gpu-pack.sh: nlohmann/json.hpp not found (apt-get install nlohmann-json3-dev)" >&2; exit 1; }
cp -RL "$(dirname "$json_header")" "$CARRY/include/nlohmann"

xz -T1 -6 -c "$NODE" > "$CARRY/node.xz"
"$NODE" --version > "$CARRY/node.version"

echo "gpu-pack.sh: $CARRY"
du -sh "$CARRY"/* | sed 's/^/  /'
echo "  total carried folder: $(du -sh "$CARRY" | cut -f1)"
# The working tree that travels: tracked + untracked-unignored files + this folder.
tree_bytes=$(git ls-files -co --exclude-standard -z | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
carry_bytes=$(du -sb "$CARRY" | cut -f1)
total=$(( (tree_bytes + carry_bytes) / 1048576 ))
echo "  working tree + carry: ${total} MiB (limit 64 MiB)"
[ "$total" -lt 64 ] || { echo "gpu-pack.sh: too large to carry" >&2; exit 1; }
