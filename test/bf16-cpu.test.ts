// amp: 'bf16' on CPU: forward + loss under CPU autocast with fp32 master
// weights and optimizer, as torch.autocast('cpu', torch.bfloat16) — equal to
// PyTorch step by step; bf16 predictions agree with fp32 ones; a short bf16
// run lands within the fp32 runs' seed spread.
import * as fs from 'fs';
import * as path from 'path';
import { TrainEvent, TrainResult, createModel, evaluate, runtimeInfo, train } from '../lib';
import { gaussianPatternDataset, patternDataset, writeDataset } from './helpers/data';
import { tempDir } from './helpers/files';
import { Reference, relativeError } from './helpers/reference';

const dir = tempDir('bf16-cpu');
const reference = new Reference();
beforeAll(() => reference.ready());
afterAll(() => {
  reference.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const options = { arch: 'resnet18', stem: 'cifar', attention: 'dual-add', inChannels: 1, numClasses: 10 } as const;
// Measured here (same libtorch, same thread count): bf16 logits and steps equal PyTorch's to ~1e-6; the bounds
// leave room for bf16's 8-bit mantissa should a kernel pick differ, and are far below a real difference (~1e-1).
const BF16_TOLERANCE = 2e-3;
// The bf16 inference form (predict's default) rounds the BN-folded weights and every activation to bf16 at other
// points than autocast does: near PyTorch's autocast logits, not equal (bf16's epsilon is 7.8e-3).
const BF16_FORM_TOLERANCE = 3e-2;

test('runtimeInfo reports the CPU and whether it runs bf16 natively', () => {
  const { cpu } = runtimeInfo();
  expect(['native', 'emulated']).toContain(cpu.bf16);
  expect(cpu.bf16 === 'native').toBe(cpu.flags.includes('avx512_bf16') || cpu.flags.includes('amx_bf16'));
});

test('predict with amp bf16 (exact: the module under autocast) equals PyTorch under torch.autocast("cpu", torch.bfloat16); the bf16 form is near it', async () => {
  const model = createModel({ ...options, seed: 7 });
  const weights = path.join(dir, 'predict.safetensors');
  await model.save(weights);
  const shape = [4, 1, 16, 16] as const;
  const input = new Float32Array(4 * 256).map((_, i) => Math.sin(i * 0.61));
  const inputFile = path.join(dir, 'input.bin');
  fs.writeFileSync(inputFile, Buffer.from(input.buffer));
  const ours = await model.predict(input, [...shape], { amp: 'bf16', exact: true });
  const fp32 = await model.predict(input, [...shape], { exact: true });
  const theirs = await reference.call<{ logits: number[] }>({ cmd: 'forward', options, weights, input: inputFile, inputShape: shape, amp: 'bf16' });
  expect(relativeError(ours, theirs.logits)).toBeLessThanOrEqual(BF16_TOLERANCE);
  // and it is a different computation from fp32 (autocast really engaged)
  expect(relativeError(ours, fp32)).toBeGreaterThan(1e-5);
  const form = await model.predict(input, [...shape], { amp: 'bf16' });
  expect(relativeError(form, theirs.logits)).toBeLessThanOrEqual(BF16_FORM_TOLERANCE);
  expect(relativeError(form, fp32)).toBeGreaterThan(1e-5); // bf16 really engaged in the form too
});

test('SGD steps with amp bf16 equal torch.optim under CPU autocast, loss by loss and weight by weight', async () => {
  const data = patternDataset(8, 1, 16, 10, 7);
  const files = writeDataset(dir, 'train', data);
  const model = createModel({ ...options, seed: 11 });
  const initial = path.join(dir, 'init.safetensors');
  await model.save(initial);
  const theirs = path.join(dir, 'theirs.safetensors');
  const optimizer = { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 } as const;
  const ref = await reference.call<{ losses: number[] }>({
    cmd: 'train_steps', options, weights: initial, weightsOut: theirs, ...files, optimizer, schedule: { type: 'constant' },
    iterations: 6, steps: 6, batchSize: 4, labelSmoothing: 0, amp: 'bf16',
  });
  const steps: Extract<TrainEvent, { type: 'step' }>[] = [];
  const result = await train(
    { model, data: { train: data }, iterations: 6, batchSize: 4, shuffle: false, logEvery: 1, outDir: path.join(dir, 'run'), optimizer, amp: 'bf16' },
    { onEvent: (e) => e.type === 'step' && steps.push(e) },
  );
  expect(result.settings.amp).toBe('bf16');
  steps.forEach((s, i) => expect(Math.abs(s.loss - ref.losses[i]) / Math.abs(ref.losses[i])).toBeLessThanOrEqual(BF16_TOLERANCE));
  const worst = await reference.call<{ keysMatch: boolean; error: number }>({ cmd: 'compare_weights', ours: result.paths.weights, theirs });
  expect(worst.keysMatch).toBe(true);
  expect(worst.error).toBeLessThanOrEqual(BF16_TOLERANCE);
}, 120_000);

describe('accuracy of a bf16 run', () => {
  // Small enough for CI (4 runs of 24 steps at 12×12), learnable enough that the trained model is confident.
  const trainSet = gaussianPatternDataset(384, 1, 12, 10, 3);
  const testSet = gaussianPatternDataset(300, 1, 12, 10, 4);
  const recipe = { data: { train: trainSet, test: testSet }, iterations: 24, batchSize: 16, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } as const };
  const runOf = (seed: number, amp: 'bf16' | false) =>
    train({ ...recipe, seed, amp, model: { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 10, seed } });

  test('bf16 test accuracy lies within the fp32 runs\' seed spread; bf16 and fp32 predictions of a trained model agree on ≥ 99%', async () => {
    const seeds = [1, 2, 3];
    const fp32: TrainResult[] = [];
    const bf16: TrainResult[] = [];
    for (const seed of seeds) {
      fp32.push(await runOf(seed, false));
      bf16.push(await runOf(seed, 'bf16'));
    }
    const top1 = (runs: TrainResult[]): number[] => runs.map((r) => r.finalEval!.top1);
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    const spread = Math.max(...top1(fp32)) - Math.min(...top1(fp32));
    // The bf16 seeds' mean lies within the fp32 seeds' range of the fp32 mean (at least one point: 3 test images).
    expect(Math.abs(mean(top1(bf16)) - mean(top1(fp32)))).toBeLessThanOrEqual(Math.max(spread, 1) + 1e-9);

    const trained = createModel({ arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 10, seed: 1 });
    await train({ ...recipe, seed: 1, model: trained });
    const [n, c, h, w] = testSet.shape;
    const logitsFp32 = await trained.predict(testSet.images as Float32Array, [n, c, h, w]);
    const logitsBf16 = await trained.predict(testSet.images as Float32Array, [n, c, h, w], { amp: 'bf16' });
    const argmax = (logits: Float32Array, i: number): number => {
      const row = logits.subarray(i * 10, i * 10 + 10);
      return row.indexOf(Math.max(...row));
    };
    let agree = 0;
    for (let i = 0; i < n; i++) agree += Number(argmax(logitsFp32, i) === argmax(logitsBf16, i));
    expect(agree / n).toBeGreaterThanOrEqual(0.99);
    const metrics = await evaluate(trained, testSet, { amp: 'bf16' });
    expect(metrics.count).toBe(n);
    expect(Math.abs(metrics.top1 - fp32[0].finalEval!.top1)).toBeLessThanOrEqual(1);
  }, 900_000);
});

