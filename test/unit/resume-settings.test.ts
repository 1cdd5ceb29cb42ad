// Resuming: a checkpoint's recorded options (native TrainOptions as JSON)
// become the run's settings; what is given beside `resume` may change only
// iterations, the learning rate, the schedule and how the run runs.
import { OptionError, RESUME_MAY_CHANGE, ResumePoint, recordedSettings, resumedModelOptions, resumedSettings } from '../../lib/options';

/** What native/train/train_options.h writes into state.json: every field of both optimizers, every schedule field. */
const nativeOptions = {
  iterations: 40, batchSize: 8, labelSmoothing: 0, logEvery: 10, evalEvery: 0, evalBatchSize: 256, checkpointEvery: 10, keepCheckpoints: 2,
  outDir: '/runs/a', resume: '', seed: 3, shuffle: true, dropLast: true, skipNonFinite: false, workers: 0, prefetch: 2,
  shard: { rank: 0, worldSize: 1 }, amp: false, channelsLast: null, cudnnBenchmark: true, distributed: null,
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 5e-4, decayNormAndBias: true },
  schedule: { type: 'cosine', stepSize: 1, milestones: [], gamma: 0.1, finalLr: 0, warmupIterations: 4, warmupStartFactor: 0.1 },
};

const point: ResumePoint = {
  checkpoint: '/runs/a/checkpoints/iter-00000020',
  iteration: 20,
  worldSize: 1,
  settings: recordedSettings(nativeOptions, 'state.json'),
  model: { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 10, reduction: 16 },
};

describe('recorded settings', () => {
  test('the native record becomes the settings it was resolved from (the other optimizer\'s and schedule\'s fields dropped)', () => {
    expect(point.settings).toMatchObject({ iterations: 40, batchSize: 8, seed: 3, logEvery: 10, checkpointEvery: 10 });
    expect(point.settings.optimizer).toEqual({ type: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 5e-4, decayNormAndBias: true });
    expect(point.settings.schedule).toEqual({ type: 'cosine', gamma: 0.1, finalLr: 0, warmupIterations: 4, warmupStartFactor: 0.1 });
    expect(point.settings).not.toHaveProperty('outDir');
    expect(point.settings).not.toHaveProperty('shard');
    expect(point.settings).not.toHaveProperty('channelsLast');
  });

  test('an AdamW record keeps its betas and eps; a step schedule its stepSize; a shard its rank', () => {
    const s = recordedSettings({
      ...nativeOptions,
      optimizer: { ...nativeOptions.optimizer, type: 'adamw', lr: 1e-3, weightDecay: 0.01 },
      schedule: { ...nativeOptions.schedule, type: 'step', stepSize: 7 },
      shard: { rank: 1, worldSize: 2 },
    }, 'state.json');
    expect(s.optimizer).toEqual({ type: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, decayNormAndBias: true });
    expect(s.schedule).toMatchObject({ type: 'step', stepSize: 7 });
    expect(s.shard).toEqual({ rank: 1, worldSize: 2 });
  });

  test('a record that is not a run\'s options is a clear error', () => {
    expect(() => recordedSettings(undefined, 'x/state.json')).toThrow(/resume: x\/state.json records no training options/);
    expect(() => recordedSettings({ ...nativeOptions, batchSize: -1 }, 'x/state.json')).toThrow(/resume: x\/state.json records options this version cannot read \(batchSize/);
  });
});

describe('resumedSettings', () => {
  test('resume alone: the recorded settings, writing into the resumed directory', () => {
    const s = resumedSettings({ resume: '/runs/a' }, point);
    expect(s).toEqual({ ...point.settings, resume: '/runs/a', outDir: '/runs/a' });
  });

  test('iterations, the learning rate, the schedule and how the run runs may change', () => {
    const s = resumedSettings({
      resume: '/runs/a', iterations: 80, optimizer: { lr: 0.01 } as never, schedule: { type: 'step', stepSize: 30 },
      logEvery: 5, checkpointEvery: 2, keepCheckpoints: 5, workers: 2, prefetch: 4, threads: 1, evalEvery: 10, evalBatchSize: 64,
      skipNonFinite: true, channelsLast: false, cudnnBenchmark: false, outDir: '/runs/b',
    }, point);
    expect(s).toMatchObject({ iterations: 80, logEvery: 5, checkpointEvery: 2, outDir: '/runs/b', batchSize: 8, seed: 3 });
    expect(s.optimizer).toMatchObject({ type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    expect(s.schedule).toEqual({ type: 'step', stepSize: 30, gamma: 0.1, finalLr: 0, warmupIterations: 0, warmupStartFactor: 0.1 });
  });

  test('the same value as recorded is accepted (the full original options plus resume)', () => {
    expect(() => resumedSettings({ ...point.settings, resume: '/runs/a' }, point)).not.toThrow();
    expect(() => resumedSettings({ resume: '/runs/a', batchSize: 8, seed: 3, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } }, point)).not.toThrow();
  });

  // Every recorded field a resumed run may not change, each named in the error.
  const refused: [string, object][] = [
    ['batchSize', { batchSize: 16 }],
    ['seed', { seed: 0 }],
    ['shuffle', { shuffle: false }],
    ['dropLast', { dropLast: false }],
    ['labelSmoothing', { labelSmoothing: 0.1 }],
    ['amp', { amp: 'bf16' }],
    ['optimizer.type', { optimizer: { type: 'adamw', lr: 1e-3 } }],
    ['optimizer.momentum', { optimizer: { momentum: 0.5 } }],
    ['optimizer.weightDecay', { optimizer: { weightDecay: 0 } }],
    ['optimizer.nesterov', { optimizer: { nesterov: true, momentum: 0.9 } }],
    ['optimizer.decayNormAndBias', { optimizer: { decayNormAndBias: false } }],
    ['shard', { shard: { rank: 0, worldSize: 2 } }],
  ];
  test.each(refused)('changing %s is refused, naming it and the checkpoint', (field, given) => {
    expect(() => resumedSettings({ resume: '/runs/a', ...given } as never, point)).toThrow(OptionError);
    expect(() => resumedSettings({ resume: '/runs/a', ...given } as never, point)).toThrow(
      new RegExp(`^${field.replace('.', '\\.')}: cannot change when resuming: the checkpoint /runs/a/checkpoints/iter-00000020 was written with .*; start a new run to change ${field.replace('.', '\\.')}$`),
    );
  });

  test('every field of the settings is either refused above or allowed to change', () => {
    const refusedFields = new Set(refused.map(([f]) => f.split('.')[0]));
    const allowed = new Set(RESUME_MAY_CHANGE.map((f) => f.split('.')[0]));
    const fields = Object.keys({ ...point.settings, resume: 1, outDir: 1, threads: 1, channelsLast: 1, shard: 1, distributed: 1 });
    const unaccounted = fields.filter((f) => !refusedFields.has(f) && !allowed.has(f) && !['resume', 'distributed'].includes(f));
    expect(unaccounted).toEqual([]);
  });

  test('a preset beside resume counts as the fields it sets', () => {
    expect(() => resumedSettings({ resume: '/runs/a', preset: 'seed' }, point)).toThrow(/^labelSmoothing|^batchSize|^iterations|^optimizer/);
  });

  test('iterations below the checkpoint\'s are refused; invalid values keep their usual message', () => {
    expect(() => resumedSettings({ resume: '/runs/a', iterations: 10 }, point)).toThrow(
      /^iterations: must be at least 20 when resuming: the checkpoint .*iter-00000020 is at iteration 20, got 10$/,
    );
    expect(() => resumedSettings({ resume: '/runs/a', batchSize: 'eight' as never }, point)).toThrow(/^batchSize: must be an integer in \[1, 1048576\], got 'eight'$/);
    expect(() => resumedSettings({ resume: '/runs/a', optimizer: [] as never }, point)).toThrow(/^optimizer: must be an object/);
  });
});

describe('the number of processes', () => {
  const distributed = (worldSize: number) => ({ resume: '/runs/a', distributed: { rank: 0, worldSize, masterPort: 29500 } });
  test('a resumed run has as many processes as the run that wrote the checkpoint', () => {
    expect(resumedSettings(distributed(2) as never, { ...point, worldSize: 2 }).distributed).toMatchObject({ worldSize: 2 });
    expect(() => resumedSettings({ resume: '/runs/a' }, { ...point, worldSize: 2 })).toThrow(
      /^distributed\.worldSize: must be 2 when resuming: the checkpoint .* was written by 2 process\(es\), got 1; resume with the same number of processes/);
    expect(() => resumedSettings(distributed(3) as never, { ...point, worldSize: 2 })).toThrow(/must be 2 when resuming: .* got 3;/);
  });
});

describe('resumedModelOptions', () => {
  test('no model options: the checkpoint\'s model; the device and the init seed may be given', () => {
    expect(resumedModelOptions(undefined, point)).toMatchObject({ ...point.model, device: 'cpu' });
    expect(resumedModelOptions({ device: 'auto', seed: 9 }, point)).toMatchObject({ ...point.model, device: 'auto', seed: 9 });
    expect(resumedModelOptions({ arch: 'resnet18', attention: 'senet' }, point)).toMatchObject(point.model); // an alias of the same block
  });

  test.each([
    ['arch', { arch: 'resnet34' }],
    ['attention', { attention: 'avgmax-mul' }],
    ['stem', { stem: 'imagenet' }],
    ['numClasses', { numClasses: 100 }],
    ['inChannels', { inChannels: 3 }],
    ['reduction', { reduction: 8 }],
  ])('another %s is refused, naming the field', (key, given) => {
    expect(() => resumedModelOptions(given, point)).toThrow(new RegExp(`^model\\.${key}: cannot change when resuming: the checkpoint .* holds a model with ${key} `));
  });
});
