// The CUDA speed settings on a CPU-only machine: option validation (fp16 is
// CUDA only), channels_last training still equal to PyTorch, and the CUDA
// step's code paths (no host sync per step, masked updates, fp16 loss
// scaling), switched on for CPU through the test addon's step switches and
// checked against the ordinary CPU path.
import * as fs from 'fs';
import * as path from 'path';
import { OptionError, TrainEvent, createModel, evaluate, train } from '../lib';
import { patternDataset, writeDataset } from './helpers/data';
import { readTensor, tempDir, tensorBytes } from './helpers/files';
import { Reference, relativeError } from './helpers/reference';
import { StepSwitches, withStepSwitches } from './helpers/test-addon';

const dir = tempDir('accel');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const modelOptions = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4 } as const;
const data = { train: patternDataset(48, 1, 12, 4, 11), test: patternDataset(20, 1, 12, 4, 12) };
const base = { data, batchSize: 8, optimizer: { type: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 1e-4 } as const, seed: 5, shuffle: false };

/** Names of the tensors whose bytes differ between two safetensors files (jest's deep equality is too slow for 45 MB). */
function differingTensors(fileA: string, fileB: string): string[] {
  const a = tensorBytes(fileA);
  const b = tensorBytes(fileB);
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => !a.has(name) || !b.has(name) || !a.get(name)!.bytes.equals(b.get(name)!.bytes));
}

function scalarOf(file: string, name: string): number {
  const t = tensorBytes(file).get(name);
  if (!t) throw new Error(`no tensor '${name}' in ${file}`);
  return t.dtype === 'F32' ? t.bytes.readFloatLE(0) : t.dtype === 'I32' ? t.bytes.readInt32LE(0) : Number(t.bytes.readBigInt64LE(0));
}

describe('options', () => {
  const model = createModel(modelOptions);
  afterAll(() => model.dispose());

  test.each([
    [{ amp: 'fp16' }, /amp: 'fp16' needs a CUDA device .* but the model is on cpu; valid values: false, 'bf16' \(CPU and CUDA\), 'fp16' \(CUDA only\)/],
    [{ amp: 'fp32' }, /amp: unknown value 'fp32'; valid: false, 'bf16' \(CPU and CUDA\), 'fp16' \(CUDA only\)/],
    [{ amp: true }, /amp: unknown value true/],
    [{ channelsLast: 'yes' }, /channelsLast: must be true or false, got 'yes'/],
    [{ cudnnBenchmark: 1 }, /cudnnBenchmark: must be true or false, got 1/],
  ])('train(%j) is refused before any work', async (bad, message) => {
    const error = await train({ ...base, model, iterations: 2, ...(bad as object) }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).toMatch(message);
  });

  test('predict and evaluate refuse fp16 on CPU and check channelsLast', async () => {
    const input = new Float32Array(2 * 144);
    await expect(model.predict(input, [2, 1, 12, 12], { amp: 'fp16' })).rejects.toThrow(/amp: 'fp16' needs a CUDA device/);
    await expect(model.predict(input, [2, 1, 12, 12], { channelsLast: 1 as never })).rejects.toThrow(/channelsLast: must be true or false/);
    await expect(evaluate(model, data.test, { amp: 'fp16' })).rejects.toThrow(/amp: 'fp16' needs a CUDA device/);
  });

  test('defaults: amp off, cudnnBenchmark on, channelsLast left to the device (off on CPU)', async () => {
    const result = await train({ ...base, model: modelOptions, iterations: 1 });
    expect(result.settings.amp).toBe(false);
    expect(result.settings.cudnnBenchmark).toBe(true);
    expect(result.settings.channelsLast).toBeUndefined();
  });
});

describe('channels_last on CPU', () => {
  const reference = new Reference();
  const refDir = path.join(dir, 'parity');
  const parityData = patternDataset(8, 1, 16, 10, 7);
  let files: { images: string; labels: string; shape: number[] };
  beforeAll(async () => {
    await reference.ready();
    fs.mkdirSync(refDir);
    files = writeDataset(refDir, 'train', parityData);
  });
  afterAll(() => reference.close());

  test('SGD steps with channelsLast: true equal torch.optim on a channels_last model (1e-4); predict in channels_last equals NCHW', async () => {
    const options = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 10 } as const;
    const sgd = { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 } as const;
    const schedule = { type: 'constant' } as const;
    // Few steps: this tiny model (BN over 4 samples, ReLU kinks) amplifies float rounding ~100× per step —
    // PyTorch's own channels_last vs NCHW runs differ by ~1e-4 in the loss at step 3, ~1e-2 at step 4, and by
    // ~1e-2 in the weights after 3 — and channels_last picks kernels (pooling, oneDNN convolutions) whose
    // rounding differs slightly from the NCHW ones, so only the first steps can be compared at 1e-4.
    const STEPS = 2;
    const model = createModel({ ...options, seed: 31 });
    const initial = path.join(refDir, 'init.safetensors');
    await model.save(initial);
    const theirs = path.join(refDir, 'theirs.safetensors');
    const ref = await reference.call<{ losses: number[] }>({
      cmd: 'train_steps', options, weights: initial, weightsOut: theirs, ...files,
      optimizer: sgd, schedule, iterations: STEPS, steps: STEPS, batchSize: 4, labelSmoothing: 0, channelsLast: true,
    });
    const steps: Extract<TrainEvent, { type: 'step' }>[] = [];
    const result = await train(
      { model, data: { train: parityData }, iterations: STEPS, batchSize: 4, shuffle: false, logEvery: 1, outDir: path.join(refDir, 'run'),
        optimizer: sgd, schedule, channelsLast: true },
      { onEvent: (e) => e.type === 'step' && steps.push(e) },
    );
    expect(steps).toHaveLength(STEPS);
    expect(relativeError(steps.map((s) => s.loss), ref.losses)).toBeLessThanOrEqual(1e-4);
    // Conv/linear weights to 1e-4 relative; 1-D tensors (BN affine and statistics, biases) to 1e-4 absolute:
    // BN biases start at 0 and are sums of cancelling gradients — PyTorch's own channels_last and NCHW runs
    // differ there by ~2e-4 absolute after 3 steps.
    const ours = tensorBytes(result.paths.weights!);
    const reference_ = tensorBytes(theirs);
    expect([...ours.keys()].sort()).toEqual([...reference_.keys()].sort());
    const bad: string[] = [];
    for (const [key, t] of reference_) {
      if (t.dtype !== 'F32') {
        if (!t.bytes.equals(ours.get(key)!.bytes)) bad.push(key);
        continue;
      }
      const a = readTensor(result.paths.weights!, key);
      const b = readTensor(theirs, key);
      const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const error = t.shape.length > 1 ? relativeError(a, b) : diff;
      if (!(error <= 1e-4)) bad.push(`${key} ${error}`);
    }
    expect(bad).toEqual([]);
    // predict in channels_last equals predict in NCHW.
    const input = Float32Array.from(parityData.images as Float32Array).subarray(0, 4 * 256);
    const plain = await model.predict(input, [4, 1, 16, 16]);
    const last = await model.predict(input, [4, 1, 16, 16], { channelsLast: true });
    expect(relativeError(last, plain)).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });
});

describe('the CUDA step on CPU (test switches)', () => {
  const poisoned = (): typeof data.train => {
    const images = Float32Array.from(data.train.images as Float32Array);
    images.fill(Number.NaN, 8 * 144, 9 * 144); // sample 8: in the second batch without shuffling
    return { ...data.train, images };
  };
  const run = async (name: string, env: StepSwitches, extra: object = {}) => {
    const outDir = path.join(dir, name);
    const events: TrainEvent[] = [];
    const result = await withStepSwitches(env, () =>
      train({ ...base, model: modelOptions, iterations: 12, logEvery: 4, checkpointEvery: 6, outDir, ...extra }, { onEvent: (e) => events.push(e) }),
    );
    return { result, events, weights: path.join(outDir, 'model.safetensors'), outDir };
  };

  test('no host sync per step (losses read back at log points, masked updates) gives bit-identical losses and weights', async () => {
    const plain = await run('plain', {});
    const deferred = await run('deferred', { deferredSync: true });
    // Everything but the timing and the run directory.
    const strip = (events: TrainEvent[]) =>
      events.map((e) => ({ ...e, ...('imagesPerSecond' in e ? { imagesPerSecond: 0 } : {}), ...('path' in e ? { path: path.basename(String(e.path)) } : {}) }));
    expect(strip(deferred.events)).toEqual(strip(plain.events));
    expect(differingTensors(deferred.weights, plain.weights)).toEqual([]);
  });

  test('a NaN loss without a per-step sync: the run stops at the next read-back, naming the bad iteration', async () => {
    const outDir = path.join(dir, 'deferred-nan');
    const error = await withStepSwitches({ deferredSync: true }, () =>
      train({ ...base, data: { train: poisoned() }, model: modelOptions, iterations: 20, logEvery: 4, checkpointEvery: 1, outDir }),
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/the loss is nan at iteration 2 \(epoch 0\) \(read back at iteration 2: .*use the checkpoint\); the last good checkpoint is .*iter-00000001/);
    const late = await withStepSwitches({ deferredSync: true }, () =>
      train({ ...base, data: { train: poisoned() }, model: modelOptions, iterations: 20, logEvery: 4 }),
    ).catch((e: Error) => e);
    expect((late as Error).message).toMatch(/the loss is nan at iteration 2 \(epoch 0\) \(read back at iteration 4/);
  });

  test('skipNonFinite without a per-step sync: same skip events, count and weights as the per-step path', async () => {
    const extra = { data: { train: poisoned() }, skipNonFinite: true };
    const plain = await run('skip-plain', {}, extra);
    const deferred = await run('skip-deferred', { deferredSync: true }, extra);
    expect(deferred.result.skippedBatches).toBe(2);
    const shape = (events: TrainEvent[]) => events.map((e) => `${e.type}@${e.iteration}`);
    expect(shape(deferred.events)).toEqual(shape(plain.events));
    expect(deferred.events.filter((e) => e.type === 'skip').map((e) => e.iteration)).toEqual([2, 8]);
    expect(differingTensors(deferred.weights, plain.weights)).toEqual([]);
  });

  test.each([['per-step sync', {}], ['no per-step sync', { deferredSync: true }]])(
    'fp16 loss scaling (%s) in fp32 math: same weights as without it; scaler state in the checkpoint', async (name, env) => {
      const plain = await run(`scaler-ref-${name}`, {});
      const scaled = await run(`scaler-${name}`, { ...env, gradScalerInit: 65536 });
      const a = readTensor(plain.weights, 'layer1.0.conv1.weight');
      const b = readTensor(scaled.weights, 'layer1.0.conv1.weight');
      expect(relativeError(b, a)).toBeLessThanOrEqual(1e-6);
      const opt = path.join(scaled.result.paths.checkpoint!, 'optimizer.safetensors');
      expect(scalarOf(opt, 'grad_scaler.scale')).toBe(65536);
      expect(scalarOf(opt, 'grad_scaler.growth_tracker')).toBe(12);
    });

  test.each([['per-step sync', {}], ['no per-step sync', { deferredSync: true }]])(
    'fp16 loss scaling (%s): overflowing steps are skipped and the scale backs off', async (name, env) => {
      const initial = path.join(dir, `overflow-init-${name}.safetensors`);
      const model = createModel({ ...modelOptions, seed: 9 });
      await model.save(initial);
      const outDir = path.join(dir, `overflow-${name}`);
      // 3e38 × loss overflows float32: the first step's gradients are inf.
      await withStepSwitches({ ...env, gradScalerInit: 3e38 }, () => train({ ...base, model, iterations: 1, outDir }));
      const opt = path.join(outDir, 'checkpoints', 'iter-00000001', 'optimizer.safetensors');
      expect(Math.abs(scalarOf(opt, 'grad_scaler.scale') / 1.5e38 - 1)).toBeLessThan(1e-6);
      expect(scalarOf(opt, 'grad_scaler.growth_tracker')).toBe(0);
      for (const key of ['conv1.weight', 'layer1.0.conv1.weight', 'fc.weight', 'fc.bias']) {
        expect(readTensor(path.join(outDir, 'model.safetensors'), key)).toEqual(readTensor(initial, key));
      }
      model.dispose();
    });

  test('fp16 loss scaling: 6 + resume to 12 equals 12 straight (scaler state resumes)', async () => {
    const env = { deferredSync: true, gradScalerInit: 1e38 };
    const straight = await run('scaler-straight', env);
    const outDir = path.join(dir, 'scaler-resumed');
    await withStepSwitches(env, () => train({ ...base, model: modelOptions, iterations: 6, logEvery: 4, outDir }));
    await withStepSwitches(env, () => train({ ...base, model: modelOptions, iterations: 12, logEvery: 4, resume: outDir }));
    expect(differingTensors(path.join(outDir, 'model.safetensors'), straight.weights)).toEqual([]);
    const opt = (d: string) => path.join(d, 'checkpoints', 'iter-00000012', 'optimizer.safetensors');
    expect(scalarOf(opt(outDir), 'grad_scaler.scale')).toBe(scalarOf(opt(straight.outDir), 'grad_scaler.scale'));
    expect(scalarOf(opt(straight.outDir), 'grad_scaler.scale')).toBeLessThan(1e38); // it backed off at least once
  });
});
