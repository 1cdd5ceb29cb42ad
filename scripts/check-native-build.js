#!/usr/bin/env node
// Before the tests: the addons in build/ must be built from the current
// sources. An existing build is brought up to date incrementally (nothing to
// do costs a second); without one, say how to make it.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const build = path.join(root, 'build');
if (process.env.SENET_ADDON) process.exit(0); // the tests run against an addon built elsewhere
if (!fs.existsSync(path.join(build, 'CMakeCache.txt'))) {
  console.error('senet-lab: no native build in build/: run `bash scripts/setup.sh` (or `npm run build:native`) first');
  process.exit(1);
}
const jobs = String(require('os').availableParallelism?.() ?? require('os').cpus().length);
const result = spawnSync('cmake', ['--build', build, '--parallel', jobs], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (result.status !== 0) {
  process.stdout.write(result.stdout);
  console.error('senet-lab: the native build failed (see above)');
  process.exit(result.status ?? 1);
}
if (!/no work to do/.test(result.stdout)) console.log('senet-lab: native addons rebuilt from the current sources');
for (const addon of ['senet_lab.node', 'senet_lab_testing.node']) {
  if (!fs.existsSync(path.join(build, 'Release', addon))) {
    console.error(`senet-lab: build/Release/${addon} is missing: configure with SENET_TEST_ADDON=ON (bash scripts/setup.sh does)`);
    process.exit(1);
  }
}
