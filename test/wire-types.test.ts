// What the addon returns, member by member, against the wire types lib/native.ts declares: both directions of
// the binding are tied to the native structs (options: test/unit/native-structs.test.ts; results, events and
// reports here, from their to_json forms). A member added, renamed or dropped on one side only fails here.
import * as fs from 'fs';
import * as path from 'path';
import { InMemoryDataset, createModel, evaluate, train } from '../lib';
import { native } from '../lib/native';
import { declared, mismatches } from './helpers/wire-declarations';
import { tempDir } from './helpers/files';

const dir = tempDir('wire');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SIDE = 16;
function arrays(n: number): InMemoryDataset {
  return { images: new Float32Array(n * SIDE * SIDE).map((_, i) => Math.sin(i / 5)), labels: new Int32Array(n).map((_, i) => i % 4), shape: [n, 1, SIDE, SIDE] };
}

test('the declaration reader sees members, optional ones and unions (so the checks below can fail)', () => {
  const [shape] = declared('NativeTrainResult');
  expect(Object.keys(shape.members)).toContain('paths');
  expect(mismatches({ ...{ stopped: true }, extra: 1 }, declared('NativeTrainResult'))).toEqual(expect.arrayContaining([
    '.extra: returned, not declared', '.iterations: declared, not returned']));
  expect(declared('TrainEvent').length).toBeGreaterThanOrEqual(6);
  expect(mismatches({ type: 'end', iteration: 1, epoch: 0 }, declared('TrainEvent'))).toEqual([]);
});

/** Calls through lib/ (which resolves the options) while recording what the addon itself returned. */
function recordNative<K extends 'train' | 'evaluate'>(name: K): { values: unknown[]; restore: () => void } {
  const raw = native() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = raw[name];
  const values: unknown[] = [];
  raw[name] = (...args: unknown[]) => {
    if (name === 'train' && typeof args[3] === 'function') {
      const listener = args[3] as (event: unknown) => void;
      args[3] = (event: unknown) => { values.push(event); listener(event); };
    }
    const returned = original.apply(raw, args);
    const promise = (name === 'train' ? (returned as { promise: Promise<unknown> }).promise : returned) as Promise<unknown>;
    promise.then((value) => values.push(value), () => undefined);
    return returned;
  };
  return { values, restore: () => { raw[name] = original; } };
}

test('train(): every event type it emitted, and its result', async () => {
  const model = createModel({ arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4, seed: 1 });
  const recorded = recordNative('train');
  try {
    await train({ model, data: { train: arrays(32), test: arrays(8) }, iterations: 4, batchSize: 8, logEvery: 1, evalEvery: 2,
      checkpointEvery: 2, outDir: path.join(dir, 'run'), seed: 1, optimizer: { type: 'sgd', lr: 0.01 } }, { onEvent: () => undefined });
  } finally {
    recorded.restore();
  }
  const result = recorded.values.pop() as Record<string, unknown>;
  const events = recorded.values as { type: string }[];
  expect([...new Set(events.map((e) => e.type))].sort()).toEqual(['checkpoint', 'end', 'eval', 'step']);
  for (const event of events) expect(mismatches(event, declared('TrainEvent'))).toEqual([]);
  expect(result.finalEval).not.toBeNull();
  expect(mismatches(result, declared('NativeTrainResult'))).toEqual([]);
  // Without test data: the evaluations are null, and so are the paths nothing was written to.
  const bare = recordNative('train');
  try {
    await train({ model, data: { train: arrays(16) }, iterations: 1, batchSize: 8, optimizer: { type: 'sgd', lr: 0.01 } });
  } finally {
    bare.restore();
  }
  const plain = bare.values.pop() as Record<string, unknown>;
  expect(plain).toMatchObject({ finalEval: null, bestEval: null, paths: { checkpoint: null, weights: null, metrics: null } });
  expect(mismatches(plain, declared('NativeTrainResult'))).toEqual([]);
});

test('evaluate(): the result with its confusion matrix, a class absent from the data as null', async () => {
  const model = createModel({ arch: 'resnet18', stem: 'cifar', attention: 'none', inChannels: 1, numClasses: 5, seed: 1 });
  const recorded = recordNative('evaluate');
  try {
    await evaluate(model, arrays(8), { batchSize: 8 });
  } finally {
    recorded.restore();
  }
  const result = recorded.values.pop() as { perClassAccuracy: (number | null)[]; confusion: number[][] };
  expect(result.perClassAccuracy[4]).toBeNull();
  expect(result.confusion).toHaveLength(5);
  expect(mismatches(result, declared('EvalResult'))).toEqual([]);
});

test('runtimeInfo(), inspectSafetensors(), a dataset\'s info() and a model\'s summary()', async () => {
  const raw = native();
  expect(mismatches(raw.runtimeInfo(), declared('NativeRuntimeInfo'))).toEqual([]);
  const model = createModel({ arch: 'resnet18', stem: 'cifar', attention: 'eca', inChannels: 1, numClasses: 4, seed: 1 });
  const file = path.join(dir, 'weights.safetensors');
  await model.save(file);
  const inspection = raw.inspectSafetensors(new Uint8Array(fs.readFileSync(file)));
  expect(inspection.tensors.length).toBeGreaterThan(0);
  expect(inspection.dataStart + inspection.dataSize).toBe(fs.statSync(file).size);
  expect(mismatches(inspection, declared('SafetensorsInspection'))).toEqual([]);
  const dataset = await raw.openDataset({ type: 'synthetic', size: 8, classes: 4, height: 8, width: 8, channels: 1, seed: 1 });
  expect(mismatches(dataset.info(), declared('DatasetInfo'))).toEqual([]);
  const loaded = await raw.loadModel(file, 'cpu');
  const summary = loaded.summary(32, 32);
  expect(summary.map((row) => row.name)).toContain('layer4');
  expect(mismatches(summary, declared('StageSummary'))).toEqual([]);
  loaded.dispose();
});
