// bench/gpu.sh gets one real try on a GPU machine, so what can go wrong before
// the GPU is ever used is checked here: the carried bundle (bench/gpu-pack.sh)
// fits what the machine accepts, and the dry run's setup — unpacking the
// carried node, loading the carried library without this checkout's
// node_modules, the nvcc vs torch CUDA check — passes, while each failure
// stops with the "could not set up or build" status and leaves gpu.log and
// gpu.json (and configure.log) in OUT. No addon is needed: the runs stop
// before the build or fail in its configure step.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const LIMIT_KIB = 64 * 1024;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-gpu-check-'));
const carry = path.join(work, 'carry');
let packOutput = '';

/** A stand-in nvcc that reports the given CUDA release, as `nvcc --version` does. */
function fakeNvcc(release: string): string {
  const file = path.join(work, `nvcc-${release}`);
  fs.writeFileSync(file, `#!/bin/sh\necho "Cuda compilation tools, release ${release}, V${release}.0"\n`, { mode: 0o755 });
  return file;
}

function gpuCheck(name: string, env: Record<string, string>): { status: number | null; out: string; log: string; json: Record<string, unknown> } {
  const out = path.join(work, name);
  const r = spawnSync('bash', [path.join(ROOT, 'bench', 'gpu.sh')], {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, SENET_GPU_DRYRUN: '1', SENET_GPU_CARRY: carry, SENET_PYTHON: '/usr/bin/python3', OUT: out, ...env },
  });
  const read = (file: string): string => (fs.existsSync(path.join(out, file)) ? fs.readFileSync(path.join(out, file), 'utf8') : '');
  return { status: r.status, out, log: read('gpu.log'), json: JSON.parse(read('gpu.json') || '{}') };
}

beforeAll(() => {
  const r = spawnSync('bash', [path.join(ROOT, 'bench', 'gpu-pack.sh')], {
    cwd: ROOT, encoding: 'utf8', timeout: 900_000, env: { ...process.env, SENET_GPU_CARRY: carry },
  });
  packOutput = r.stdout + r.stderr;
  if (r.status !== 0) throw new Error(`gpu-pack.sh failed (${r.status}):\n${packOutput}`);
}, 900_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the carried bundle and the working tree fit the 64 MiB the GPU machine accepts', () => {
  const total = /working tree \+ carried folder: (\d+) KiB/.exec(packOutput);
  expect(total).not.toBeNull();
  expect(Number(total![1])).toBeLessThan(LIMIT_KIB);
  // Measured here too, not only as the script reports it.
  const du = spawnSync('du', ['-sk', carry], { encoding: 'utf8' });
  expect(Number(du.stdout.split('\t')[0])).toBeLessThan(LIMIT_KIB);
  for (const file of ['node.xz', 'dist/lib/index.js', 'dist/lib/record/tensorboard.js', 'node_modules/zod/package.json', 'node_modules/onnx-proto/package.json',
    'node_modules/node-addon-api/napi.h', 'include/nlohmann/json.hpp']) {
    expect(fs.existsSync(path.join(carry, file))).toBe(true);
  }
});

test('dry run setup: carried node and library load on their own, nvcc and torch CUDA agree', () => {
  const r = gpuCheck('setup-ok', { SENET_GPU_STOP_AFTER: 'setup', SENET_NVCC: fakeNvcc('13.0'), SENET_GPU_DRYRUN_TORCH_CUDA: '13.0' });
  expect(r.log).toMatch(/node v\d+\.\d+\.\d+ \(carried\)/);
  expect(r.log).toMatch(/torch 1\.13/);
  expect(r.log).toMatch(/nvcc and torch agree: CUDA 13\.0/);
  expect(r.status).toBe(0);
  expect(r.json).toMatchObject({ dryRun: true, exitCode: 0, failure: null });
  expect(r.json.verdict).toMatch(/stopped after setup/);
  expect(r.json.torch).toMatchObject({ torch: expect.stringMatching(/^1\.13/), parallel: { backend: 'OpenMP' } });
});

test('nvcc of another CUDA release stops the run as a setup failure, with both versions and the logs in OUT', () => {
  const r = gpuCheck('nvcc-mismatch', { SENET_NVCC: fakeNvcc('12.8'), SENET_GPU_DRYRUN_TORCH_CUDA: '13.0' });
  expect(r.status).toBe(3);
  expect(r.log).toMatch(/nvcc is CUDA 12\.8 but torch .* was built with CUDA 13\.0/);
  expect(r.json).toMatchObject({ exitCode: 3, verdict: 'could not set up or build' });
  expect(r.json.failure).toMatch(/^setup: nvcc is CUDA 12\.8/);
});

test('a configure failure is a build failure (3) and brings configure.log back', () => {
  const r = gpuCheck('configure-fails', {
    SENET_NVCC: fakeNvcc('13.0'), SENET_GPU_BUILD: path.join(work, 'build'),
    SENET_GPU_CMAKE_ARGS: '-DCMAKE_CXX_COMPILER=/nonexistent/c++',
  });
  expect(r.status).toBe(3);
  expect(r.json.failure).toMatch(/^build: cmake configure failed/);
  expect(fs.readFileSync(path.join(r.out, 'configure.log'), 'utf8')).toMatch(/nonexistent\/c\+\+/);
  expect(r.json.phaseSeconds).toHaveProperty('setup');
  expect(r.json.phaseSeconds).toHaveProperty('build');
});

test('a missing carried folder or Python is a setup failure (3), never a parity failure', () => {
  const noCarry = gpuCheck('no-carry', { SENET_GPU_CARRY: path.join(work, 'nowhere') });
  expect(noCarry.status).toBe(3);
  expect(noCarry.json.failure).toMatch(/gpu-pack\.sh/);
  const noPython = gpuCheck('no-python', { SENET_PYTHON: path.join(work, 'no-python3') });
  expect(noPython.status).toBe(3);
  expect(noPython.json.failure).toMatch(/python .* does not run/);
});
