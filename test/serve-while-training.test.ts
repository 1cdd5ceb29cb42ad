// Serving while training: predict/evaluate/save/load calls issued during a
// train() are answered between two training steps (the run yields to them on
// the one compute thread), the run's numbers do not change, and a second
// train() waits for the first and says so.
import * as fs from 'fs';
import * as path from 'path';
import { Model, TrainEvent, createModel, evaluate, loadModel, train } from '../lib';
import { patternDataset } from './helpers/data';
import { tempDir } from './helpers/files';

const dir = tempDir('serve');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const trainData = { train: patternDataset(256, 1, 16, 4, 3) };
const runModel = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4, seed: 1 } as const;
const runOptions = { data: trainData, iterations: 40, batchSize: 16, logEvery: 1, seed: 1, optimizer: { type: 'sgd', lr: 0.02 } as const };
const servedInput = new Float32Array(1 * 1 * 32 * 32).map((_, i) => Math.sin(i / 7));

function servedModel(): Model {
  return createModel({ arch: 'resnet18', attention: 'se', inChannels: 1, numClasses: 4, seed: 2 });
}

async function milliseconds(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const steps = (events: TrainEvent[]): Extract<TrainEvent, { type: 'step' }>[] => events.filter((e) => e.type === 'step') as never;

test('a predict during a training run returns within one step plus 3× its idle latency, while the run goes on', async () => {
  const served = servedModel();
  const predict = (): Promise<Float32Array> => served.predict(servedInput, [1, 1, 32, 32]);
  await predict(); // warm-up
  const idleTimes: number[] = [];
  for (let i = 0; i < 5; i++) idleTimes.push(await milliseconds(predict));
  const idle = median(idleTimes);
  const events: TrainEvent[] = [];
  let ended = false;
  const run = train({ ...runOptions, model: runModel }, { onEvent: (e) => events.push(e) }).finally(() => { ended = true; });
  while (steps(events).length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  const latencies: number[] = [];
  let answeredDuringRun = 0;
  while (!ended && latencies.length < 12) {
    latencies.push(await milliseconds(predict));
    if (!ended) answeredDuringRun++;
  }
  await run;
  // One step as the run measured it (its batch over the images/s of a one-step window).
  const longestStep = Math.max(...steps(events).map((e) => (1000 * runOptions.batchSize) / e.imagesPerSecond));
  expect(answeredDuringRun).toBeGreaterThanOrEqual(5);
  expect(Math.max(...latencies)).toBeLessThanOrEqual(longestStep + 3 * idle);
}, 120_000);

test('evaluate, save and loadModel are answered during a run too', async () => {
  const served = servedModel();
  const weights = path.join(dir, 'served.safetensors');
  let ended = false;
  const events: TrainEvent[] = [];
  const run = train({ ...runOptions, model: runModel }, { onEvent: (e) => events.push(e) }).finally(() => { ended = true; });
  while (steps(events).length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  await served.save(weights);
  const loaded = await loadModel(weights);
  const metrics = await evaluate(loaded, patternDataset(16, 1, 32, 4, 9), { batchSize: 16 });
  expect(ended).toBe(false);
  expect(metrics.count).toBe(16);
  await run;
});

test('the training numbers are bit-identical with and without calls served in between', async () => {
  const quiet: TrainEvent[] = [];
  const alone = createModel(runModel);
  await train({ ...runOptions, model: alone }, { onEvent: (e) => quiet.push(e) });

  const busy: TrainEvent[] = [];
  const shared = createModel(runModel);
  const served = servedModel();
  let ended = false;
  const run = train({ ...runOptions, model: shared }, { onEvent: (e) => busy.push(e) }).finally(() => { ended = true; });
  let calls = 0;
  while (!ended) {
    await served.predict(servedInput, [1, 1, 32, 32]);
    calls++;
  }
  await run;
  expect(calls).toBeGreaterThan(3);
  expect(steps(busy).map((e) => e.loss)).toEqual(steps(quiet).map((e) => e.loss));
  const probe = new Float32Array(2 * 1 * 16 * 16).map((_, i) => Math.cos(i / 5));
  expect(await shared.predict(probe, [2, 1, 16, 16])).toEqual(await alone.predict(probe, [2, 1, 16, 16]));
}, 120_000);

test('a second train() waits for the first, says so in a queued event, and both finish', async () => {
  const first: TrainEvent[] = [];
  const second: TrainEvent[] = [];
  const order: string[] = [];
  const a = train({ ...runOptions, iterations: 10, model: runModel }, { onEvent: (e) => { first.push(e); order.push(`a:${e.type}`); } });
  while (steps(first).length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  const b = train({ ...runOptions, iterations: 10, model: { ...runModel, seed: 2 } }, { onEvent: (e) => { second.push(e); order.push(`b:${e.type}`); } });
  const [ra, rb] = await Promise.all([a, b]);
  expect(ra.iterations).toBe(10);
  expect(rb.iterations).toBe(10);
  expect(second[0].type).toBe('queued');
  // The second run's first step comes after the first run's end.
  expect(order.indexOf('b:step')).toBeGreaterThan(order.indexOf('a:end'));
}, 120_000);
