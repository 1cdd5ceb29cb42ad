// train(): events, abort and bit-exact resume, checkpoints, faults, options.
import * as fs from 'fs';
import * as path from 'path';
import { OptionError, TrainEvent, createModel, evaluate, train } from '../lib';
import { patternDataset } from './helpers/data';
import { tempDir } from './helpers/files';

const dir = tempDir('train');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const modelOptions = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4 } as const;
const data = { train: patternDataset(48, 1, 12, 4, 11), test: patternDataset(20, 1, 12, 4, 12) };
const base = { data, batchSize: 8, optimizer: { type: 'sgd', lr: 0.02 } as const, seed: 5 };

describe('events and outputs', () => {
  test('events arrive in order, metrics.jsonl records each, the event loop keeps ticking', async () => {
    const outDir = path.join(dir, 'events');
    const events: TrainEvent[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const result = await train(
      { ...base, model: modelOptions, iterations: 12, logEvery: 4, evalEvery: 6, checkpointEvery: 6, outDir },
      { onEvent: (e) => events.push(e) },
    );
    clearInterval(timer);
    expect(events.map((e) => `${e.type}@${e.iteration}`)).toEqual([
      'step@4', 'eval@6', 'checkpoint@6', 'step@8', 'step@12', 'eval@12', 'checkpoint@12', 'end@12',
    ]);
    expect(ticks).toBeGreaterThan(5);
    const lines = fs.readFileSync(path.join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(events.map((e) => e.type));
    const step = events.find((e) => e.type === 'step') as Extract<TrainEvent, { type: 'step' }>;
    expect(step.loss).toBeGreaterThan(0);
    expect(step.lr).toBe(0.02);
    expect(step.imagesPerSecond).toBeGreaterThan(0);
    expect(result.finalEval!.count).toBe(20);
    expect(result.finalEval!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(20);
    expect(result.finalEval!.top5).toBe(100); // 4 classes: top-k clamps to k = 4
    expect(result.paths).toEqual({
      checkpoint: path.join(outDir, 'checkpoints', 'iter-00000012'),
      weights: path.join(outDir, 'model.safetensors'),
      metrics: path.join(outDir, 'metrics.jsonl'),
    });
    expect(fs.readFileSync(path.join(outDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe('iter-00000012');
    expect(fs.readdirSync(path.join(outDir, 'checkpoints')).sort()).toEqual(['iter-00000006', 'iter-00000012', 'latest']);
    expect(result.iterations).toBe(12);
    expect(result.stopped).toBe(false);
  });

  test('a model trains: loss falls and accuracy beats chance on learnable data', async () => {
    const steps: number[] = [];
    const result = await train(
      { ...base, model: { ...modelOptions, attention: 'dual-add' }, iterations: 40, logEvery: 10, optimizer: { type: 'sgd', lr: 0.01 } },
      { onEvent: (e) => e.type === 'step' && steps.push(e.loss) },
    );
    expect(Math.min(...steps.slice(1))).toBeLessThan(steps[0] / 2);
    expect(result.finalEval!.top1).toBeGreaterThanOrEqual(75); // chance: 25
    const again = await evaluate(result.model, data.test);
    expect(again.top1).toBe(result.finalEval!.top1);
  });

  test('the seed preset is used field by field', async () => {
    const steps: Extract<TrainEvent, { type: 'step' }>[] = [];
    const result = await train(
      { model: modelOptions, data, preset: 'seed', iterations: 3, logEvery: 1 },
      { onEvent: (e) => e.type === 'step' && steps.push(e) },
    );
    expect(result.settings.batchSize).toBe(8);
    expect(result.settings.optimizer).toMatchObject({ type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
    expect(result.settings.schedule).toMatchObject({ type: 'step', stepSize: 100_000, gamma: 0.1 });
    expect(steps.map((s) => s.lr)).toEqual([0.01, 0.01, 0.01]);
    const overridden = await train({ model: modelOptions, data, preset: 'seed', iterations: 2, optimizer: { lr: 0.1 } as never });
    expect(overridden.settings.optimizer).toMatchObject({ type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  });
});

describe('abort and resume', () => {
  test('40 straight equals 20 + abort + resume to 40, bit for bit', async () => {
    const options = { ...base, iterations: 40, logEvery: 1, checkpointEvery: 15, optimizer: { type: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 1e-4 } as const };
    const straightDir = path.join(dir, 'straight');
    const straight = await train({ ...options, model: { ...modelOptions, seed: 1 }, outDir: straightDir });

    const resumedDir = path.join(dir, 'resumed');
    const controller = new AbortController();
    const first = await train(
      { ...options, model: { ...modelOptions, seed: 1 }, outDir: resumedDir },
      { signal: controller.signal, onEvent: (e) => e.type === 'step' && e.iteration === 20 && controller.abort() },
    );
    expect(first.stopped).toBe(true);
    expect(first.iterations).toBeGreaterThanOrEqual(20);
    expect(first.iterations).toBeLessThan(40);
    expect(first.paths.checkpoint).toBe(path.join(resumedDir, 'checkpoints', `iter-${String(first.iterations).padStart(8, '0')}`));

    const events: TrainEvent[] = [];
    const second = await train({ ...options, model: { ...modelOptions, seed: 999 }, resume: resumedDir }, { onEvent: (e) => events.push(e) });
    expect(second.startIteration).toBe(first.iterations);
    expect(second.iterations).toBe(40);
    expect(events.find((e) => e.type === 'step')!.iteration).toBe(first.iterations + 1);
    const a = fs.readFileSync(straight.paths.weights!);
    const b = fs.readFileSync(second.paths.weights!);
    expect(b.equals(a)).toBe(true);
  });

  test('resume alone continues with the recorded settings and model, bit for bit; only iterations, lr and schedule may change', async () => {
    const options = { ...base, iterations: 12, logEvery: 1, checkpointEvery: 5, optimizer: { type: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 1e-4 } as const };
    const straight = await train({ ...options, model: { ...modelOptions, seed: 2 }, outDir: path.join(dir, 'alone-straight') });
    const outDir = path.join(dir, 'alone');
    const controller = new AbortController();
    const first = await train(
      { ...options, model: { ...modelOptions, seed: 2 }, outDir },
      { signal: controller.signal, onEvent: (e) => e.type === 'step' && e.iteration === 6 && controller.abort() },
    );
    expect(first.stopped).toBe(true);
    const second = await train({ data, resume: outDir });
    expect(second.startIteration).toBe(first.iterations);
    expect(second.settings).toMatchObject({ iterations: 12, batchSize: 8, seed: 5, checkpointEvery: 5, outDir });
    expect(second.model.options).toMatchObject(modelOptions);
    expect(fs.readFileSync(second.paths.weights!).equals(fs.readFileSync(straight.paths.weights!))).toBe(true);
    // Extending the run with another learning rate and schedule.
    const third = await train({ data, resume: outDir, iterations: 16, optimizer: { lr: 0.01 } as never, schedule: { type: 'cosine' } });
    expect(third.startIteration).toBe(12);
    expect(third.settings.optimizer).toMatchObject({ lr: 0.01, momentum: 0.9 });
  });

  test('resume with another batch size, seed, optimizer or model is refused before any work, naming the field', async () => {
    const outDir = path.join(dir, 'mismatch');
    await train({ ...base, model: modelOptions, iterations: 2, outDir });
    const latest = path.join(outDir, 'checkpoints', 'iter-00000002');
    await expect(train({ ...base, model: modelOptions, iterations: 4, resume: outDir, batchSize: 4 })).rejects.toThrow(
      `batchSize: cannot change when resuming: the checkpoint ${latest} was written with 8, got 4.`,
    );
    await expect(train({ ...base, model: modelOptions, iterations: 4, resume: outDir, seed: 6 })).rejects.toThrow(/^seed: cannot change when resuming: .* was written with 5, got 6\./);
    await expect(train({ ...base, model: modelOptions, iterations: 4, resume: outDir, optimizer: { type: 'adamw', lr: 0.001 } })).rejects.toThrow(
      /^optimizer.type: cannot change when resuming: .* was written with 'sgd', got 'adamw'\./,
    );
    await expect(train({ ...base, model: { ...modelOptions, attention: 'avgmax-mul' }, iterations: 4, resume: outDir })).rejects.toThrow(
      /^model.attention: cannot change when resuming: .* holds a model with attention 'se', got 'avgmax-mul'/,
    );
    const other = createModel({ ...modelOptions, attention: 'cbam' });
    await expect(train({ ...base, model: other, iterations: 4, resume: outDir })).rejects.toThrow(/^model.attention: cannot change when resuming/);
    other.dispose();
    await expect(train({ ...base, model: modelOptions, iterations: 1, resume: outDir })).rejects.toThrow(/^iterations: must be at least 2 when resuming/);
    expect(fs.readFileSync(path.join(outDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe('iter-00000002');
  });

  test('resume without a checkpoint is a clear error', async () => {
    await expect(train({ ...base, model: modelOptions, iterations: 2, resume: path.join(dir, 'nothing-here') })).rejects.toThrow(
      /resume: no checkpoint in '.*nothing-here'/,
    );
  });

  test('a crash mid-write leaves the latest checkpoint usable', async () => {
    const outDir = path.join(dir, 'crash');
    await train({ ...base, model: modelOptions, iterations: 4, checkpointEvery: 2, outDir });
    // Simulate a writer killed after creating its temporary directory and half a file.
    const temp = path.join(outDir, 'checkpoints', '.tmp-iter-00000006-12345');
    fs.mkdirSync(temp);
    fs.writeFileSync(path.join(temp, 'model.safetensors'), Buffer.alloc(100));
    const resumed = await train({ ...base, model: modelOptions, iterations: 6, resume: outDir });
    expect(resumed.startIteration).toBe(4);
    expect(resumed.iterations).toBe(6);
    // The resumed run removed what the killed writer left behind.
    expect(fs.readdirSync(path.join(outDir, 'checkpoints')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('faults', () => {
  const poisoned = (): typeof data.train => {
    const images = Float32Array.from(data.train.images as Float32Array);
    images.fill(Number.NaN, 8 * 144, 9 * 144); // sample 8: in the second batch without shuffling
    return { ...data.train, images };
  };

  test('a NaN loss stops the run with an error naming the iteration and keeps the last good checkpoint', async () => {
    const outDir = path.join(dir, 'nan');
    const error = await train({ ...base, data: { train: poisoned() }, model: modelOptions, shuffle: false, iterations: 20, checkpointEvery: 1, outDir }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/the loss is nan at iteration 2 \(epoch 0\); the last good checkpoint is .*iter-00000001/);
    expect(fs.readFileSync(path.join(outDir, 'checkpoints', 'latest'), 'utf8').trim()).toBe('iter-00000001');
    expect((error as Error).stack).toContain('train.test.ts');
  });

  test('skipNonFinite skips such batches, counts them, and leaves the weights finite', async () => {
    const events: TrainEvent[] = [];
    const result = await train(
      { ...base, data: { train: poisoned(), test: data.test }, model: modelOptions, shuffle: false, iterations: 12, skipNonFinite: true },
      { onEvent: (e) => events.push(e) },
    );
    expect(result.skippedBatches).toBe(2); // 6 batches per epoch, 2 epochs
    expect(events.filter((e) => e.type === 'skip').map((e) => e.iteration)).toEqual([2, 8]);
    expect(Number.isFinite(result.finalEval!.loss)).toBe(true);
  });

  test('a throwing onEvent listener stops the run and rejects with its error', async () => {
    await expect(
      train({ ...base, model: modelOptions, iterations: 50, logEvery: 1 }, { onEvent: () => { throw new Error('listener failed'); } }),
    ).rejects.toThrow('listener failed');
  });
});

describe('invalid options fail before any work, naming the field', () => {
  const model = createModel(modelOptions);
  const cases: [string, object, RegExp][] = ([
    [{ optimizer: { type: 'sgd', lr: 0 } }, /optimizer.lr: must be a number > 0, got 0/],
    [{ optimizer: { type: 'sgd', lr: -1 } }, /optimizer.lr: must be a number > 0/],
    [{ batchSize: 0 }, /batchSize: must be an integer in \[1, 1048576\], got 0/],
    [{ schedule: { type: 'multistep', milestones: [10, 5] } }, /schedule.milestones: must be strictly increasing, got \[10,5\]/],
    [{ optimizer: { type: 'adam', lr: 0.1 } }, /optimizer.type: unknown value 'adam'; valid: sgd, adamw/],
    [{ schedule: { type: 'poly' } }, /schedule.type: unknown value 'poly'; valid: constant, step, multistep, cosine/],
    [{ schedule: { type: 'step' } }, /schedule.stepSize: is required/],
    [{ iterations: 1.5 }, /iterations: must be an integer >= 1/],
    [{ labelSmoothing: 2 }, /labelSmoothing: must be in \[0, 1\]/],
    [{ preset: 'imagenet' }, /preset: unknown value 'imagenet'; valid: seed/],
    [{ learningRate: 0.1 }, /learningRate: unknown train option/],
    [{ optimizer: { type: 'sgd', lr: 0.1, nesterov: true, momentum: 0 } }, /optimizer.nesterov: requires momentum > 0/],
    [{ data: { train: { ...data.train, labels: Array.from(data.train.labels, (l, i) => (i === 5 ? 12 : l)) } } }, /data.train.labels: label 12 at index 5 is outside \[0, 3\] for numClasses 4/],
    [{ data: { train: { ...data.train, shape: [48, 3, 12, 12] } } }, /data.train.images: has 6912 values but shape \[48, 3, 12, 12\] needs 20736/],
    [{ data: { train: data.train, test: { ...data.test, shape: [20, 2, 12, 6] } } }, /data.test.shape: has 2 channels but the model expects 1/],
    [{ data: {} }, /data.train: is required/],
    [{ batchSize: 100 }, /batchSize 100 is larger than the training set \(48 samples\) with dropLast/],
  ] as [object, RegExp][]).map(([override, message]) => [message.source.slice(0, 60), override, message]);
  test.each(cases)('%s', async (_, override, message) => {
    const before = await model.predict(new Float32Array(144), [1, 1, 12, 12]);
    await expect(train({ ...base, model, iterations: 5, ...(override as object) } as never)).rejects.toThrow(message);
    expect(Array.from(await model.predict(new Float32Array(144), [1, 1, 12, 12]))).toEqual(Array.from(before));
  });

  test('option errors are OptionErrors with the field', async () => {
    const error = await train({ ...base, model, batchSize: 0 }).catch((e) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect(error.field).toBe('batchSize');
  });
});
