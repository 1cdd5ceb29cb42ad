// The pip-torch engines (scripts/engine.sh): each engine's addon links the libtorch of its own wheel
// (never Debian's, which is installed next to it), reports that torch's version, and works; the
// CUDA 13 build loads and trains on CPU on a machine without a GPU and refuses device 'cuda' with
// the documented error. And the torchvision-free ResNet of the torch2 tier's reference equals
// torchvision's. An engine whose build is absent is skipped, with the reason in the test name;
// SENET_REQUIRE_ENGINES=1 (.ci/run) makes an absent build a failure instead.
//
// Each addon is loaded in a child process: two libtorch versions cannot share one process.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/files';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'lib');
const REQUIRE = process.env.SENET_REQUIRE_ENGINES === '1';
const work = tempDir('engine');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Engine {
  name: string;
  torch: string;
  /** The CUDA release the wheel was built with; '' for a CPU wheel. */
  cuda: string;
  addons: string[];
}

const ENGINES: Engine[] = [
  { name: 'torch2-cpu', torch: '2.13.0', cuda: '', addons: ['senet_lab.node', 'senet_lab_testing.node'] },
  { name: 'torch2-cuda', torch: '2.14.1', cuda: '13.0', addons: ['senet_lab.node'] },
];

/** ldd's `name => path` lines as a map from library file name to the path it resolves to ('not found' kept). */
function ldd(file: string): Map<string, string> {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${file} failed: ${r.stderr}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\S+) => (.*?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

// Runs in a child with SENET_ADDON set: runtimeInfo(), the CUDA error, and a CPU smoke (create, 3 training
// steps, predict, save/load); prints one JSON line.
const SMOKE = String.raw`
const lib = require(process.env.ENGINE_DIST);
(async () => {
  const out = { info: lib.runtimeInfo() };
  try { lib.createModel({ device: 'cuda' }).dispose(); out.cudaError = null; } catch (e) { out.cudaError = e.message; }
  const n = 16, c = 3, s = 16, classes = 4;
  const images = new Float32Array(n * c * s * s);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let j = 0; j < c * s * s; j++) images[i * c * s * s + j] = Math.sin((labels[i] + 1) * j * 0.01) + 0.1 * Math.cos(i * 7 + j);
  }
  const model = lib.createModel({ arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: c, numClasses: classes, device: 'cpu' });
  const losses = [];
  const result = await lib.train({ model, data: { train: { images, labels, shape: [n, c, s, s] } }, iterations: 3, batchSize: 8,
    optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 }, seed: 1, shuffle: false, logEvery: 1 },
    { onEvent: (e) => { if (e.type === 'step') losses.push(e.loss); } });
  const x = images.subarray(0, 2 * c * s * s);
  const before = Array.from(await model.predict(x, [2, c, s, s]));
  const file = process.env.ENGINE_WORK + '/smoke.safetensors';
  await model.save(file);
  const loaded = await lib.loadModel(file);
  const after = Array.from(await loaded.predict(x, [2, c, s, s]));
  out.iterations = result.iterations;
  out.losses = losses;
  out.logits = before;
  out.reloaded = after;
  out.device = model.device;
  model.dispose(); loaded.dispose();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
`;

function runSmoke(addon: string, engine: string): Record<string, any> {
  const dir = path.join(work, engine);
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, ['-e', SMOKE], {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, SENET_ADDON: addon, ENGINE_DIST: DIST, ENGINE_WORK: dir },
  });
  if (r.status !== 0) throw new Error(`the smoke on ${addon} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, any>;
}

for (const engine of ENGINES) {
  const build = path.join(ROOT, `build-${engine.name}`, 'Release');
  const venv = path.join(ROOT, `.venv-${engine.name}`);
  const site = path.join(venv, 'lib', 'python3.11', 'site-packages');
  const missing = engine.addons.filter((a) => !fs.existsSync(path.join(build, a)));
  if (missing.length && !REQUIRE) {
    describe.skip(`${engine.name} (skipped: no build-${engine.name}/Release/${missing.join(', ')}; ` +
      `SENET_ENGINE=${engine.name} bash scripts/setup.sh builds it)`, () => { test('absent', () => undefined); });
    continue;
  }

  describe(`engine ${engine.name}: torch ${engine.torch}${engine.cuda ? ` (CUDA ${engine.cuda})` : ' (CPU)'}`, () => {
    test('the build exists (SENET_REQUIRE_ENGINES=1)', () => {
      expect(missing).toEqual([]);
    });

    test.each(engine.addons)('ldd %s: libtorch, c10 (and the CUDA libraries) resolve into the wheel, none missing', (name) => {
      const libs = ldd(path.join(build, name));
      const wheelTorch = fs.realpathSync(path.join(site, 'torch', 'lib'));
      const missingLibs = [...libs].filter(([, where]) => where === 'not found').map(([lib]) => lib);
      expect(missingLibs).toEqual([]);
      for (const lib of ['libtorch.so', 'libtorch_cpu.so', 'libc10.so']) {
        expect(libs.has(lib)).toBe(true);
        expect(path.dirname(fs.realpathSync(libs.get(lib)!))).toBe(wheelTorch);
      }
      // Nothing of Debian's libtorch 1.13 (or any other torch) comes along.
      const foreign = [...libs].filter(([lib, where]) => /^lib(torch|c10)/.test(lib) && !fs.realpathSync(where).startsWith(wheelTorch));
      expect(foreign).toEqual([]);
      if (engine.cuda) {
        for (const lib of ['libtorch_cuda.so', 'libc10_cuda.so']) expect(path.dirname(fs.realpathSync(libs.get(lib)!))).toBe(wheelTorch);
        const cudaLibs = [...libs].filter(([lib]) => /^lib(cudart|cublas|cublasLt|cudnn|nvrtc|nccl|cusparse|cufft|curand)\.so/.test(lib));
        expect(cudaLibs.length).toBeGreaterThan(0);
        for (const [, where] of cudaLibs) expect(fs.realpathSync(where).startsWith(fs.realpathSync(path.join(site, 'nvidia')))).toBe(true);
      }
    });

    describe('runtimeInfo and a CPU smoke, in a child process', () => {
      let smoke: Record<string, any>;
      let wheelVersion: string;
      beforeAll(() => {
        if (!fs.existsSync(path.join(DIST, 'index.js'))) throw new Error(`no ${DIST}/index.js: run node scripts/build-ts.js`);
        const py = spawnSync(path.join(venv, 'bin', 'python'), ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
        if (py.status !== 0) throw new Error(`the engine's python does not import torch: ${py.stderr}`);
        wheelVersion = py.stdout.trim();
        smoke = runSmoke(path.join(build, 'senet_lab.node'), engine.name);
      }, 300_000);

      test("runtimeInfo().torchVersion is the wheel's torch.__version__ (without its local +tag)", () => {
        expect(wheelVersion.split('+')[0]).toBe(engine.torch);
        expect(smoke.info.torchVersion).toBe(engine.torch);
      });

      test(engine.cuda ? `a CUDA ${engine.cuda} build with 0 devices, and device 'cuda' is the documented error`
        : 'a CPU build, and device \'cuda\' is the documented error', () => {
        expect(smoke.info.cudaBuild).toBe(engine.cuda);
        expect(smoke.info.cudaAvailable).toBe(false);
        expect(smoke.info.cudaDeviceCount).toBe(0);
        expect(smoke.cudaError).toMatch(new RegExp(`device 'cuda' requested, but this libtorch \\(${engine.torch.replace(/\./g, '\\.')}\\) has no usable CUDA .*use 'cpu' or 'auto'`));
        expect(smoke.info.openmp.perThreadCountReachesATen).toBe(true);
      });

      test('CPU: 3 training steps with finite losses, predict, and save/load gives the same logits', () => {
        expect(smoke.device).toBe('cpu');
        expect(smoke.iterations).toBe(3);
        expect(smoke.losses).toHaveLength(3);
        for (const loss of smoke.losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
        expect(smoke.logits).toHaveLength(8);
        expect(smoke.logits.every((v: number) => Number.isFinite(v))).toBe(true);
        expect(smoke.reloaded).toEqual(smoke.logits);
      });
    });
  });
}

describe('the torchvision-free reference ResNet (test/reference/resnet_reference.py)', () => {
  const debianPython = '/usr/bin/python3';
  const hasTorchvision = spawnSync(debianPython, ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;
  (hasTorchvision ? test : test.skip)('equals torchvision after torch.manual_seed: state_dict names, shapes and bytes, and logits', () => {
    const r = spawnSync(debianPython, [path.join(ROOT, 'test', 'reference', 'resnet_check.py')], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`resnet_check.py failed:\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { sources: string[]; cases: { options: object; names: boolean; state: boolean; logits: boolean; tensors: number }[] };
    expect(result.sources[0]).toMatch(/^torchvision /);
    expect(result.sources[1]).toBe('resnet_reference.py');
    expect(result.cases.length).toBeGreaterThanOrEqual(5);
    for (const c of result.cases) expect({ options: c.options, names: c.names, state: c.state, logits: c.logits }).toEqual({ options: c.options, names: true, state: true, logits: true });
  });
});
