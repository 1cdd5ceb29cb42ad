// Packaging: `npm pack` carries the prebuilt addon (prebuildify, loaded by
// node-gyp-build), and the tarball installs into a fresh directory where the
// CLI runs — nothing is compiled there (no build/ directory appears).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/files';

const root = path.join(__dirname, '..');
const dir = tempDir('package');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): { status: number; output: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 600_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  return { status: r.status ?? -1, output: `${r.stdout}\n${r.stderr}` };
}

test('the packed tarball installs without compiling and its CLI runs info and a short train', () => {
  // Always from the current build (incremental: cmake-js finds nothing to do after setup), so the tarball is never stale.
  // No --strip: strip rewrites the file in place, and this very process has it loaded (that crashed jest).
  const built = run('npm', ['run', 'prebuild'], root);
  expect(built.output).not.toMatch(/ERR!/);
  expect(built.status).toBe(0);
  expect(fs.readdirSync(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)).some((f) => f.endsWith('.node'))).toBe(true);
  const packed = run('npm', ['pack', '--pack-destination', dir, '--json'], root);
  expect(packed.status).toBe(0);
  const [{ filename, files }] = JSON.parse(packed.output.slice(packed.output.indexOf('['), packed.output.lastIndexOf(']') + 1));
  const paths = (files as { path: string }[]).map((f) => f.path);
  expect(paths.some((p) => p.startsWith('prebuilds/') && p.endsWith('.node'))).toBe(true);
  expect(paths).toContain('dist/lib/cli/main.js');
  expect(paths.some((p) => p.startsWith('test/') || p.startsWith('build/'))).toBe(false);

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
});
