#!/usr/bin/env node
// prebuildify drives "node-gyp rebuild …"; this stand-in builds with cmake-js
// instead (prebuildify has no cmake backend) and leaves the addon in
// build/Release, where prebuildify picks it up.
const { spawnSync } = require('child_process');
const path = require('path');

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--CDCMAKE_BUILD_TYPE=Release', '--CDSENET_TEST_ADDON=OFF'], {
  cwd: path.join(__dirname, '..'),
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
