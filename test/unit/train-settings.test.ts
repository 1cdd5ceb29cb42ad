import * as fs from 'fs';
import * as path from 'path';
// resolveTrainSettings: defaults, the seed preset and overrides, the
// optimizer type switch, and the cross-field rules of optimizer, schedule
// and shard.
import { OptionError, SEED_PRESET, TRAIN_DEFAULTS, checkAmpDevice, resolveTrainSettings } from '../../lib/options';

const fails = (input: object, field: string, message: string): void => {
  expect(() => resolveTrainSettings(input)).toThrow(new OptionError(field, message));
};

describe('defaults and the seed preset', () => {
  test('no options: the table defaults, SGD, a constant schedule', () => {
    const s = resolveTrainSettings({});
    expect(s).toMatchObject({ iterations: 1000, batchSize: 8, logEvery: 50, evalEvery: 0, checkpointEvery: 0, keepCheckpoints: 2, shuffle: true, dropLast: true, amp: false, cudnnBenchmark: true });
    expect(s.optimizer).toEqual({ type: 'sgd', lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-4, decayNormAndBias: true });
    expect(s.schedule).toEqual({ type: 'constant', gamma: 0.1, finalLr: 0, warmupIterations: 0, warmupStartFactor: 0.1 });
    expect(s).not.toHaveProperty('channelsLast'); // unset: the native side picks by device
    expect(s).toMatchObject(Object.fromEntries(Object.entries(TRAIN_DEFAULTS).filter(([k]) => k !== 'schedule')));
  });

  test("preset 'seed' is the seed paper's recipe", () => {
    const s = resolveTrainSettings({ preset: 'seed' });
    expect(s).toMatchObject({ iterations: 200_000, batchSize: 8, labelSmoothing: 0 });
    expect(s.optimizer).toMatchObject(SEED_PRESET.optimizer);
    expect(s.schedule).toMatchObject({ type: 'step', stepSize: 100_000, gamma: 0.1 });
  });

  test("preset 'fmnist-resnet18' is the converged Fashion-MNIST recipe: 6 epochs of batch 64, cosine with warmup, smoothing", () => {
    const s = resolveTrainSettings({ preset: 'fmnist-resnet18' });
    expect(s).toMatchObject({ iterations: 6 * Math.floor(60_000 / 64), batchSize: 64, labelSmoothing: 0.1, evalEvery: 2 * 937 });
    expect(s.optimizer).toMatchObject({ type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    expect(s.schedule).toMatchObject({ type: 'cosine', finalLr: 0, warmupIterations: 200 });
  });

  test("the recorded 'fmnist-resnet18' run used today's recipe and reached >= 93% top-1 (bench/results/fmnist-resnet18.json)", () => {
    // A recipe change without a new recorded run would leave the documented figure describing another recipe.
    const recorded = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bench', 'results', 'fmnist-resnet18.json'), 'utf8'));
    const s = resolveTrainSettings({ preset: 'fmnist-resnet18' });
    expect(recorded.settings).toMatchObject({ iterations: s.iterations, batchSize: s.batchSize, labelSmoothing: s.labelSmoothing });
    expect(recorded.settings.optimizer).toMatchObject(s.optimizer);
    expect(recorded.settings.schedule).toMatchObject(s.schedule);
    expect(recorded.modelOptions).toMatchObject({ arch: 'resnet18', stem: 'cifar', attention: 'none' });
    expect(recorded.finalEval.count).toBe(10_000);
    expect(recorded.finalEval.top1).toBeGreaterThanOrEqual(93);
  });

  test('fields next to a preset override it, the rest of the preset stays', () => {
    const s = resolveTrainSettings({ preset: 'seed', iterations: 500, batchSize: 32 });
    expect(s).toMatchObject({ iterations: 500, batchSize: 32 });
    expect(s.schedule.stepSize).toBe(100_000);
  });

  test('optimizer fields override the preset one by one', () => {
    const s = resolveTrainSettings({ preset: 'seed', optimizer: { lr: 0.1 } as never });
    expect(s.optimizer).toMatchObject({ type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  });

  test("another optimizer type starts from that type's defaults, not the preset's", () => {
    const s = resolveTrainSettings({ preset: 'seed', optimizer: { type: 'adamw', lr: 1e-3 } });
    expect(s.optimizer).toEqual({ type: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, decayNormAndBias: true });
  });

  test('a schedule replaces the preset schedule as a whole', () => {
    expect(resolveTrainSettings({ preset: 'seed', schedule: { type: 'cosine' } }).schedule).not.toHaveProperty('stepSize');
  });

  test('resume without outDir writes into the resumed directory', () => {
    expect(resolveTrainSettings({ resume: 'runs/a' }).outDir).toBe('runs/a');
    expect(resolveTrainSettings({ resume: 'runs/a', outDir: 'runs/b' }).outDir).toBe('runs/b');
  });

  test('undefined fields keep the defaults (and the preset)', () => {
    expect(resolveTrainSettings({ preset: 'seed', iterations: undefined }).iterations).toBe(200_000);
  });
});

describe('errors', () => {
  test('unknown preset, key, optimizer type', () => {
    fails({ preset: 'fast' }, 'preset', "unknown value 'fast'; valid: seed, fmnist-resnet18");
    expect(() => resolveTrainSettings({ frob: 1 } as never)).toThrow(/^frob: unknown train option; valid: iterations, batchSize, /);
    fails({ optimizer: { type: 'rmsprop' } }, 'optimizer.type', "unknown value 'rmsprop'; valid: sgd, adamw");
  });

  test("an option of the other optimizer is unknown to this one", () => {
    fails({ optimizer: { type: 'adamw', lr: 1e-3, momentum: 0.9 } }, 'optimizer.momentum', 'unknown option; valid: type, lr, betas, eps, weightDecay, decayNormAndBias');
  });

  test('nested fields are named with their parent', () => {
    fails({ optimizer: { lr: 0 } }, 'optimizer.lr', 'must be a number > 0, got 0');
    fails({ optimizer: { type: 'adamw', lr: 1e-3, betas: [0.9, 1] } }, 'optimizer.betas', 'must be [beta1, beta2], each in [0, 1), got [0.9,1]');
    fails({ schedule: { type: 'cosine', gamma: -1 } }, 'schedule.gamma', 'must be a number > 0, got -1');
  });

  test('nesterov needs momentum > 0 and dampening 0, as torch.optim.SGD', () => {
    const message = 'requires momentum > 0 and dampening 0 (as torch.optim.SGD)';
    fails({ optimizer: { type: 'sgd', lr: 0.1, nesterov: true, momentum: 0 } }, 'optimizer.nesterov', message);
    fails({ optimizer: { type: 'sgd', lr: 0.1, nesterov: true, dampening: 0.1 } }, 'optimizer.nesterov', message);
    expect(resolveTrainSettings({ optimizer: { type: 'sgd', lr: 0.1, nesterov: true } }).optimizer).toMatchObject({ nesterov: true });
  });

  test('schedule cross-field rules', () => {
    fails({ schedule: { type: 'step' } }, 'schedule.stepSize', 'is required for the step schedule');
    fails({ schedule: { type: 'multistep' } }, 'schedule.milestones', 'must be a non-empty array of iterations for the multistep schedule');
    fails({ schedule: { type: 'multistep', milestones: [5, 5] } }, 'schedule.milestones', 'must be strictly increasing, got [5,5]');
    fails({ iterations: 10, schedule: { type: 'constant', warmupIterations: 11 } }, 'schedule.warmupIterations', 'must be an integer in [0, 10] (iterations), got 11');
    expect(resolveTrainSettings({ iterations: 10, schedule: { type: 'multistep', milestones: [2, 5], warmupIterations: 10 } }).schedule.milestones).toEqual([2, 5]);
  });

  test('shard: rank below worldSize', () => {
    fails({ shard: { rank: 2, worldSize: 2 } }, 'shard.rank', 'must be below worldSize 2, got 2');
    expect(resolveTrainSettings({ shard: { rank: 1, worldSize: 2 } }).shard).toEqual({ rank: 1, worldSize: 2 });
  });

  test('a non-object optimizer says it must be an object', () => {
    expect(() => resolveTrainSettings({ optimizer: 'sgd' as never })).toThrow(/^optimizer: must be an object/);
  });

  test('fp16 needs a CUDA device; bf16 runs on CPU too', () => {
    expect(() => checkAmpDevice('amp', 'fp16', 'cpu')).toThrow(
      new OptionError('amp', "'fp16' needs a CUDA device (CPU autocast supports bf16 only), but the model is on cpu; valid values: false, 'bf16' (CPU and CUDA), 'fp16' (CUDA only)"),
    );
    expect(() => checkAmpDevice('amp', 'bf16', 'cpu')).not.toThrow();
    expect(() => checkAmpDevice('amp', 'fp16', 'cuda:1')).not.toThrow();
    expect(() => checkAmpDevice('amp', false, 'cpu')).not.toThrow();
  });
});
