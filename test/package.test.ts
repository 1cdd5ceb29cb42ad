// Packaging: `npm run prebuild` + `npm pack` in a temporary copy of the
// checkout (never in the working tree, whose build/ the other suites use);
// the tarball carries the prebuilt product addon — without test hooks — and
// installs into a fresh directory where the CLI runs without compiling.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/files';

const root = path.join(__dirname, '..');
const dir = tempDir('package');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { status: number; output: string } {
  const r = spawnSync(command, args, {
    cwd, encoding: 'utf8', timeout: 900_000,
    // The copy must build and load its own addon, not the test addon the suites use.
    env: { ...process.env, SENET_ADDON: '', npm_config_audit: 'false', npm_config_fund: 'false', ...env },
  });
  return { status: r.status ?? -1, output: `${r.stdout}\n${r.stderr}` };
}

/** The checkout's files as git sees them (tracked, and new files not ignored), copied to `target`. */
function copyCheckout(target: string): void {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  expect(listed.status).toBe(0);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(root, file);
    if (!fs.existsSync(from)) continue; // deleted but not yet committed
    fs.mkdirSync(path.join(target, path.dirname(file)), { recursive: true });
    fs.copyFileSync(from, path.join(target, file));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(target, 'node_modules'));
}

function buildState(): string[] {
  const release = path.join(root, 'build', 'Release');
  return fs.readdirSync(release).sort().map((f) => `${f}@${fs.statSync(path.join(release, f)).mtimeMs}`);
}

test('prebuild and pack in a copy; the tarball installs without compiling, has no test hooks, and its CLI trains', () => {
  const before = buildState();
  const source = path.join(dir, 'source');
  copyCheckout(source);
  const built = run('npm', ['run', 'prebuild'], source);
  expect(built.output).not.toMatch(/ERR!/);
  expect(built.status).toBe(0);
  const prebuilds = path.join(source, 'prebuilds', `${process.platform}-${process.arch}`);
  const addon = fs.readdirSync(prebuilds).find((f) => f.endsWith('.node'))!;
  expect(addon).toBeDefined();
  const exported = run(process.execPath, ['-p', `Object.keys(require(${JSON.stringify(path.join(prebuilds, addon))})).join(',')`], dir);
  expect(exported.status).toBe(0);
  expect(exported.output).toMatch(/\btrain\b/);
  for (const hook of ['_setTestSwitches', 'attentionCheck', 'gradients', 'timePredict', 'testAddon']) expect(exported.output).not.toContain(hook);

  const packed = run('npm', ['pack', '--pack-destination', dir, '--json'], source);
  expect(packed.status).toBe(0);
  const [{ filename, files }] = JSON.parse(packed.output.slice(packed.output.indexOf('['), packed.output.lastIndexOf(']') + 1));
  const paths = (files as { path: string }[]).map((f) => f.path);
  expect(paths.some((p) => p.startsWith('prebuilds/') && p.endsWith('.node'))).toBe(true);
  expect(paths).toContain('dist/lib/cli/main.js');
  expect(paths.some((p) => /^(test|build|bench)\//.test(p) || p.includes('testing/'))).toBe(false);
  expect(buildState()).toEqual(before); // the working tree's build was not touched

  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const installed = run('npm', ['install', path.join(dir, filename)], app);
  expect(installed.output).not.toMatch(/Building CXX|Linking CXX|gyp/); // the install script found the prebuild (or npm skipped it)
  expect(installed.status).toBe(0);
  const pkg = path.join(app, 'node_modules', 'senet-lab');
  expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false); // loaded from prebuilds/, nothing compiled

  const bin = path.join(app, 'node_modules', '.bin', 'senet-lab');
  const info = run(bin, ['info'], app);
  expect(info.status).toBe(0);
  expect(info.output).toMatch(/libtorch\s+│ \d+\.\d+/);
  const trained = run(bin, ['train', '--iterations', '3', '--batch-size', '8', '--log-every', '1', '--out', path.join(app, 'run')], app);
  expect(trained.output).toMatch(/done: /);
  expect(trained.status).toBe(0);
  expect(fs.existsSync(path.join(app, 'run', 'model.safetensors'))).toBe(true);
  const bench = run(bin, ['bench', '--smoke'], app);
  expect(bench.status).toBe(2);
  expect(bench.output).toMatch(/bench: runs from a source checkout/);
});
