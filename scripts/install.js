#!/usr/bin/env node
// npm's install step: nothing to do when a usable addon exists (a local
// build or a prebuild shipped in prebuilds/); otherwise build it from source
// with cmake-js. (node-gyp-build's own CLI would run node-gyp, which this
// project does not use.)
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
try {
  console.log(`senet-lab: using ${require('node-gyp-build').path(root)}`);
  process.exit(0);
} catch {
  console.log('senet-lab: no prebuilt addon for this platform; building from source (cmake-js, libtorch)');
}
const result = spawnSync(process.execPath, [path.join(__dirname, 'cmake-js-node-gyp.js')], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
