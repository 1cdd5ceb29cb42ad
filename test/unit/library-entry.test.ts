// The library entry point loads the library only: the command line, the
// ablation runner and the recorded-run reports (lib/cli, lib/ablation,
// lib/record) and the packages only they use stay out of a program that does
// `import { train } from 'senet-lab'`. The current sources are compiled as the
// package compiles them (tsconfig.json) into a temporary package directory,
// whose dist/lib/index.js a child process requires — with the addon path
// pointed at nothing, so the check also fails if the entry loads the addon.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
/** Packages of the application side only; a library user never needs them loaded. */
const APPLICATION_PACKAGES = ['vega', 'vega-lite', '@stdlib', 'cli-table3', 'cli-progress', 'commander'];
const APPLICATION_DIRS = ['cli', 'ablation', 'record'];

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-entry-'));
  const tsc = require.resolve('typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(dir, 'dist'), '--declaration', 'false', '--sourceMap', 'false'],
    { cwd: root, encoding: 'utf8' });
  expect(`${built.stdout}${built.stderr}`).toBe('');
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The files in require.cache after the child requires `entry` (and, as a check, the list of its exports). */
function loadedBy(entry: string): { files: string[]; exports: string[] } {
  const script = `const lib = require(${JSON.stringify(entry)});
process.stdout.write(JSON.stringify({ files: Object.keys(require.cache), exports: Object.keys(lib) }));`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8', env: { ...process.env, SENET_ADDON: '/nonexistent/the-library-entry-must-not-load-the-addon.node' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { files: string[]; exports: string[] };
}

test('requiring the library loads no application package and no application module', () => {
  const { files, exports } = loadedBy(path.join(dir, 'dist', 'lib', 'index.js'));
  expect(exports).toEqual(expect.arrayContaining(['train', 'evaluate', 'createModel', 'loadModel', 'dataset', 'PRESETS']));
  const packages = files.filter((f) => APPLICATION_PACKAGES.some((p) => f.includes(`${path.sep}node_modules${path.sep}${p}${path.sep}`)));
  expect(packages).toEqual([]);
  const lib = path.join(dir, 'dist', 'lib');
  const modules = files.filter((f) => APPLICATION_DIRS.some((d) => f.startsWith(path.join(lib, d) + path.sep)));
  expect(modules).toEqual([]);
  expect(files.some((f) => f.endsWith('.node'))).toBe(false);
});

test('the check sees those packages when they are loaded: the command line loads them', () => {
  // The same child and filters on the CLI module, so the test above cannot pass by looking in the wrong place.
  const { files } = loadedBy(path.join(dir, 'dist', 'lib', 'cli', 'main.js'));
  for (const p of APPLICATION_PACKAGES) {
    expect(files.some((f) => f.includes(`${path.sep}node_modules${path.sep}${p}${path.sep}`))).toBe(true);
  }
});
