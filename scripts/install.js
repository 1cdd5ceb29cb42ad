#!/usr/bin/env node
// npm's install step: nothing to do when a usable addon exists (a local
// build or a prebuild shipped in prebuilds/); otherwise build it from source
// with cmake-js. (node-gyp-build's own CLI would run node-gyp, which this
// project does not use.)
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
// `npm ci` in the source checkout itself: scripts/setup.sh builds the addons (with the test addon).
if (process.env.INIT_CWD && path.resolve(process.env.INIT_CWD) === path.resolve(root) && fs.existsSync(path.join(root, 'binding', 'testing'))) {
  console.log('senet-lab: source checkout; `bash scripts/setup.sh` builds the native addon');
  process.exit(0);
}
try {
  console.log(`senet-lab: using ${require('node-gyp-build').path(root)}`);
  process.exit(0);
} catch {
  console.log('senet-lab: no prebuilt addon for this platform; building from source (cmake-js, libtorch)');
}
const result = spawnSync(process.execPath, [path.join(__dirname, 'cmake-js-node-gyp.js')], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
