// Training parity with PyTorch: from identical initial weights and identical
// batches (no shuffle), our steps equal torch.optim's, loss by loss and weight
// by weight; lr schedules equal torch.optim.lr_scheduler's; evaluation
// metrics equal torchvision's reference definitions.
import * as fs from 'fs';
import * as path from 'path';
import { ATTENTIONS, TrainEvent, createModel, evaluate, learningRates, train } from '../lib';
import { patternDataset, writeDataset } from './helpers/data';
import { tempDir } from './helpers/files';
import { Reference, relativeError } from './helpers/reference';

const TOLERANCE = 1e-4;
const STEPS = 10;
const BATCH = 4;

describe('training parity with torch.optim', () => {
  const reference = new Reference();
  const dir = tempDir('train-parity');
  const data = patternDataset(8, 1, 16, 10, 7);
  let files: { images: string; labels: string; shape: number[] };

  beforeAll(async () => {
    await reference.ready();
    files = writeDataset(dir, 'train', data);
  });
  afterAll(() => {
    reference.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sgd = { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 } as const;
  const stepSchedule = { type: 'step', stepSize: 5, gamma: 0.1 } as const;
  const cases = [
    ...ATTENTIONS.map((attention) => ({ name: `${attention}: SGD momentum + wd, step schedule`, attention, optimizer: sgd, schedule: stepSchedule, labelSmoothing: 0 })),
    { name: 'se: label smoothing 0.1, nesterov, no decay on BN/bias, multistep', attention: 'se', labelSmoothing: 0.1,
      optimizer: { type: 'sgd', lr: 0.03, momentum: 0.9, nesterov: true, weightDecay: 5e-4, decayNormAndBias: false }, schedule: { type: 'multistep', milestones: [3, 8], gamma: 0.5 } },
    { name: 'dual-add: AdamW, warmup + cosine', attention: 'dual-add', labelSmoothing: 0,
      optimizer: { type: 'adamw', lr: 2e-3, betas: [0.9, 0.99], weightDecay: 0.05 }, schedule: { type: 'cosine', finalLr: 1e-4, warmupIterations: 3, warmupStartFactor: 0.25 } },
  ] as const;

  cases.forEach((c, index) => {
    test(c.name, async () => {
      const modelOptions = { arch: 'resnet18', stem: 'cifar', attention: c.attention, inChannels: 1, numClasses: 10 } as const;
      const model = createModel({ ...modelOptions, seed: 100 + index });
      const initial = path.join(dir, `init-${index}.safetensors`);
      await model.save(initial);
      const theirs = path.join(dir, `theirs-${index}.safetensors`);
      const ref = await reference.call<{ losses: number[]; lrs: number[] }>({
        cmd: 'train_steps', options: modelOptions, weights: initial, weightsOut: theirs, ...files,
        optimizer: c.optimizer, schedule: c.schedule, iterations: STEPS, steps: STEPS, batchSize: BATCH, labelSmoothing: c.labelSmoothing,
      });

      const steps: Extract<TrainEvent, { type: 'step' }>[] = [];
      const outDir = path.join(dir, `run-${index}`);
      const result = await train(
        { model, data: { train: data }, iterations: STEPS, batchSize: BATCH, shuffle: false, logEvery: 1, outDir,
          optimizer: c.optimizer as never, schedule: c.schedule as never, labelSmoothing: c.labelSmoothing },
        { onEvent: (e) => e.type === 'step' && steps.push(e) },
      );
      expect(result.iterations).toBe(STEPS);
      expect(steps.map((s) => s.iteration)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      expect(relativeError(steps.map((s) => s.lr), ref.lrs)).toBeLessThanOrEqual(1e-12);
      steps.forEach((s, i) => expect(Math.abs(s.loss - ref.losses[i]) / Math.abs(ref.losses[i])).toBeLessThanOrEqual(TOLERANCE));
      const worst = await reference.call<{ keysMatch: boolean; key: string; error: number }>({
        cmd: 'compare_weights', ours: result.paths.weights, theirs,
      });
      expect(worst.keysMatch).toBe(true);
      expect(worst.error).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  test.each([
    ['step', { type: 'step', stepSize: 7, gamma: 0.3 }],
    ['multistep', { type: 'multistep', milestones: [10, 25, 26], gamma: 0.1 }],
    ['cosine', { type: 'cosine', finalLr: 0.001 }],
    ['warmup + cosine', { type: 'cosine', finalLr: 0.0, warmupIterations: 10, warmupStartFactor: 0.01 }],
    ['warmup + step', { type: 'step', stepSize: 5, warmupIterations: 4 }],
    ['warmup + constant', { type: 'constant', warmupIterations: 12, warmupStartFactor: 0.5 }],
  ] as const)('%s lr values equal torch.optim.lr_scheduler over 40 iterations', async (_, schedule) => {
    const ours = learningRates({ iterations: 40, optimizer: { type: 'sgd', lr: 0.1 }, schedule: schedule as never });
    const ref = await reference.call<{ lrs: number[] }>({ cmd: 'schedule_values', lr: 0.1, schedule, iterations: 40, count: 40 });
    expect(relativeError(ours, ref.lrs)).toBeLessThanOrEqual(1e-12);
  });

  test('the seed preset: lr 0.01 below iteration 100,000, 0.001 from there to 200,000', () => {
    const lrs = learningRates({ preset: 'seed' });
    expect(lrs.length).toBe(200_000);
    expect(lrs[0]).toBe(0.01);
    expect(lrs[99_999]).toBe(0.01);
    expect(lrs[100_000]).toBeCloseTo(0.001, 15);
    expect(lrs[199_999]).toBeCloseTo(0.001, 15);
  });

  test('evaluate(): top-1/top-5, loss and confusion equal torchvision reference definitions', async () => {
    const options = { arch: 'resnet18', stem: 'cifar', attention: 'avgmax-mul', inChannels: 1, numClasses: 10 } as const;
    const model = createModel({ ...options, seed: 4 });
    const weights = path.join(dir, 'eval.safetensors');
    await model.save(weights);
    const evalData = patternDataset(37, 1, 16, 10, 3);
    const evalFiles = writeDataset(dir, 'eval', evalData);
    const ref = await reference.call<{ top1: number; top5: number; loss: number; confusion: number[][] }>({
      cmd: 'evaluate', options, weights, ...evalFiles,
    });
    const ours = await evaluate(model, evalData, { batchSize: 8 });
    expect(ours.count).toBe(37);
    expect(ours.top1).toBeCloseTo(ref.top1, 10);
    expect(ours.top5).toBeCloseTo(ref.top5, 10);
    expect(Math.abs(ours.loss - ref.loss) / ref.loss).toBeLessThanOrEqual(1e-5);
    expect(ours.confusion).toEqual(ref.confusion);
    const diagonal = ours.confusion.map((row, i) => row[i]);
    ours.perClassAccuracy.forEach((acc, i) => {
      const total = ours.confusion[i].reduce((a, b) => a + b, 0);
      expect(acc).toBeCloseTo((100 * diagonal[i]) / total, 10);
    });
  });
});
