#!/usr/bin/env node
// Compiles lib/ into dist/ from scratch: a file removed or moved in lib/ must
// not survive in dist/ (node would still resolve the stale copy).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
