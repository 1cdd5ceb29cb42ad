#!/usr/bin/env node
// Regenerates the generated docs: docs/api.md (TypeDoc from the TSDoc of
// lib/index.ts), docs/options.md (the option tables and CLI flags, from the
// compiled dist/ — `npm run docs` compiles first) and docs/benchmarks.md
// (bench/results/*.json).
//   node scripts/docs.js           write them
//   node scripts/docs.js --check   regenerate into memory / a temp dir and fail, naming the file, if one differs
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { optionsMarkdown } = require('./docs/options-md');
const { benchmarksMarkdown } = require('./docs/benchmarks-md');

const root = path.join(__dirname, '..');
const docs = path.join(root, 'docs');

/** docs/api.md as TypeDoc writes it now (typedoc.json), written into a temp dir and read back. */
function apiMarkdown() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-api-'));
  try {
    // typedoc's package exports hide its bin/; find it next to the resolved entry point.
    const typedoc = path.join(require.resolve('typedoc').replace(/(node_modules[\\/]typedoc)[\\/].*$/, '$1'), 'bin', 'typedoc');
    const r = spawnSync(process.execPath, [typedoc, '--out', out, '--logLevel', 'Error'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`typedoc failed:\n${r.stdout}${r.stderr}`);
    return fs.readFileSync(path.join(out, 'api.md'), 'utf8');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function generated() {
  const dist = path.join(root, 'dist', 'lib');
  if (!fs.existsSync(path.join(dist, 'options', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` first (npm run docs does)');
  return {
    'options.md': optionsMarkdown(require(path.join(dist, 'options')), require(path.join(dist, 'cli', 'config'))),
    'benchmarks.md': benchmarksMarkdown(path.join(root, 'bench', 'results')),
    'api.md': apiMarkdown(),
  };
}

function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [name, text] of Object.entries(generated())) {
    const file = path.join(docs, name);
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) stale.push(`docs/${name}`);
    } else {
      fs.writeFileSync(file, text);
      console.log(`wrote docs/${name}`);
    }
  }
  if (stale.length) {
    console.error(`stale generated docs: ${stale.join(', ')} — run \`npm run docs\` and commit the result`);
    process.exit(1);
  }
  if (check) console.log('generated docs are up to date');
}

if (require.main === module) main();

module.exports = { apiMarkdown };
