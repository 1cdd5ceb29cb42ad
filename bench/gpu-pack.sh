#!/usr/bin/env bash
# Run HERE (a machine with Node.js and this checkout's node_modules): prepares
# bench/.gpu-carry/ (gitignored) with what bench/gpu.sh needs on a GPU machine
# that has CUDA, CMake, python3 + torch but no Node.js and no network:
#   node.xz           the node binary (xz; gpu.sh unpacks it with Python's lzma)
#   node.version      its version
#   node_modules/     build: node-addon-api, node-api-headers; run time: the packages the
#                     compiled library imports (zod, onnx-proto, node-gyp-build, @aws-crypto/crc32c)
#                     with their own dependencies
#   include/nlohmann/ nlohmann/json headers (the addon's JSON library; header-only)
#   dist/             the compiled TypeScript (dist/lib is all the GPU check imports)
# The addon itself is NOT carried: gpu.sh builds it there against that
# machine's libtorch. Carry the folder with the working tree (`carry`), which
# travels only up to 64 MiB in all: this script fails when the working tree and
# the folder together would not fit.
#   bash bench/gpu-pack.sh             # writes bench/.gpu-carry
#   SENET_GPU_CARRY=dir bash ...       # writes dir instead
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CARRY=${SENET_GPU_CARRY:-$ROOT/bench/.gpu-carry}
LIMIT_MIB=64
NODE=$(command -v node) || { echo "gpu-pack.sh: node not found" >&2; exit 1; }
cd "$ROOT"
rm -rf "$CARRY"
mkdir -p "$CARRY/node_modules" "$CARRY/include"

# The compiled TypeScript, fresh, straight into the carry (the checkout's dist/ is left alone).
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.json --outDir "$CARRY/dist"
find "$CARRY/dist" \( -name '*.map' -o -name '*.d.ts' \) -delete

# The packages and everything they depend on, flattened into one node_modules/
# (nothing the GPU machine's node could otherwise find).
"$NODE" - "$CARRY/node_modules" <<'JS'
const fs = require('fs');
const path = require('path');
const out = process.argv[2];
const wanted = ['node-addon-api', 'node-api-headers', 'node-gyp-build', 'zod', 'onnx-proto', '@aws-crypto/crc32c'];
const copied = new Map();
function copy(name, fromDir) {
  const manifest = require.resolve(`${name}/package.json`, { paths: [fromDir] });
  const dir = path.dirname(manifest);
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  if (copied.has(name)) {
    if (copied.get(name) !== pkg.version) throw new Error(`${name}: two versions needed (${copied.get(name)}, ${pkg.version})`);
    return;
  }
  copied.set(name, pkg.version);
  fs.cpSync(dir, path.join(out, name), { recursive: true, dereference: true, filter: (src) => !/[/\\]node_modules[/\\]?$/.test(src.slice(dir.length)) });
  for (const dep of Object.keys(pkg.dependencies ?? {})) copy(dep, dir);
}
for (const name of wanted) copy(name, process.cwd());
console.log(`gpu-pack.sh: node_modules: ${[...copied].map(([n, v]) => `${n}@${v}`).join(', ')}`);
JS
# Only headers and package files are needed from the build-time packages.
rm -rf "$CARRY/node_modules/node-addon-api/tools" "$CARRY/node_modules/node-api-headers/def"

includes=$(echo '#include <nlohmann/json.hpp>' | g++ -x c++ -std=c++17 -H -fsyntax-only - 2>&1 || true)
json_header=$(printf '%s\n' "$includes" | awk '/nlohmann\/json.hpp$/ {print $2; exit}')
[ -n "$json_header" ] || { echo "gpu-pack.sh: nlohmann/json.hpp not found (apt-get install nlohmann-json3-dev)" >&2; exit 1; }
cp -RL "$(dirname "$json_header")" "$CARRY/include/nlohmann"

xz -T1 -6 -c "$NODE" > "$CARRY/node.xz"
"$NODE" --version > "$CARRY/node.version"

echo "gpu-pack.sh: $CARRY"
du -sh "$CARRY"/* | sed 's/^/  /'
# What travels: tracked + untracked-unignored files of the working tree, and this folder.
tree_bytes=$(git ls-files -co --exclude-standard -z | xargs -0 -r du -cb 2>/dev/null | awk '$2 == "total" {s += $1} END {print s + 0}')
carry_bytes=$(du -sb "$CARRY" | cut -f1)
total_kib=$(( (tree_bytes + carry_bytes) / 1024 ))
echo "  carried folder: $(( carry_bytes / 1024 )) KiB; working tree + carried folder: ${total_kib} KiB (limit $(( LIMIT_MIB * 1024 )) KiB)"
[ "$total_kib" -lt $(( LIMIT_MIB * 1024 )) ] || { echo "gpu-pack.sh: too large to carry (over ${LIMIT_MIB} MiB)" >&2; exit 1; }
