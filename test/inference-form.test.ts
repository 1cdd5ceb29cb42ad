// The prepared CPU inference form behind predict() (native/model/inference_form.h):
// it follows the weights (rebuilt after train(), load() and any other change),
// serves any batch and image size after its first call, agrees with the
// module's exact forward, and `exact` is validated. Parity with PyTorch itself
// for every arch × attention × stem is in parity.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { ATTENTIONS, createModel, train } from '../lib';
import { patternDataset } from './helpers/data';
import { tempDir } from './helpers/files';
import { relativeError } from './helpers/reference';
import type { Model, Shape4 } from '../lib';

const FORM_TOLERANCE = 1e-4;
const dir = tempDir('inference-form');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const options = { arch: 'resnet18', stem: 'cifar', attention: 'dual-add', inChannels: 1, numClasses: 4 } as const;

function input(shape: Shape4, seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + seed) + 0.3 * Math.cos(i * 0.011 * seed));
}

/** Runs `body` on a fresh model and disposes it afterwards, also when `body` fails. */
async function withModel(modelOptions: Parameters<typeof createModel>[0], body: (model: Model) => Promise<void>): Promise<void> {
  const model = createModel(modelOptions);
  try {
    await body(model);
  } finally {
    model.dispose();
  }
}

/** The default (form) logits, after checking them against the exact forward. */
async function formLogits(model: Model, x: Float32Array, shape: Shape4): Promise<Float32Array> {
  const fast = await model.predict(x, shape);
  const exact = await model.predict(x, shape, { exact: true });
  expect(fast.length).toBe(exact.length);
  expect(relativeError(fast, exact)).toBeLessThanOrEqual(FORM_TOLERANCE);
  return fast;
}

test('follows train(): after training, predict equals the exact forward of the trained weights', async () => {
  await withModel({ ...options, seed: 3 }, async (model) => {
    const shape: Shape4 = [3, 1, 12, 12];
    const x = input(shape, 1);
    const before = await formLogits(model, x, shape);
    await train({
      model, data: { train: patternDataset(32, 1, 12, 4, 7) }, iterations: 3, batchSize: 8, seed: 1,
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
    });
    const after = await formLogits(model, x, shape);
    expect(relativeError(after, before)).toBeGreaterThan(1e-3); // the weights (and BN statistics) did change
  });
});

test('follows load(): predict after load equals a model built from that file', async () => {
  const a = createModel({ ...options, seed: 1 });
  const b = createModel({ ...options, seed: 2 });
  try {
    const shape: Shape4 = [2, 1, 16, 16];
    const x = input(shape, 2);
    const file = path.join(dir, 'b.safetensors');
    await b.save(file);
    const ownLogits = await formLogits(a, x, shape);
    await a.load(file);
    const loaded = await formLogits(a, x, shape);
    expect(Array.from(loaded)).toEqual(Array.from(await b.predict(x, shape)));
    expect(relativeError(loaded, ownLogits)).toBeGreaterThan(1e-3);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('batch and image size may change from call to call', async () => {
  await withModel({ ...options, seed: 4 }, async (model) => {
    const shapes: Shape4[] = [[1, 1, 16, 16], [5, 1, 16, 16], [1, 1, 20, 12], [5, 1, 16, 16], [2, 1, 1, 1]];
    const first = await formLogits(model, input(shapes[1], 5), shapes[1]);
    for (const shape of shapes) await formLogits(model, input(shape, 5), shape);
    // The same shape again after others gives the same logits, bit for bit.
    expect(Array.from(await model.predict(input(shapes[1], 5), shapes[1]))).toEqual(Array.from(first));
  });
});

test.each(['none', 'se'] as const)('%s: a batch larger than one chunk (9 images at 224×224 run as 8 + 1) equals its images one by one', async (attention) => {
  await withModel({ arch: 'resnet18', attention, numClasses: 10, seed: 10 }, async (model) => {
    const shape: Shape4 = [9, 3, 224, 224];
    const x = input(shape, 10);
    const batched = await formLogits(model, x, shape);
    const image = 3 * 224 * 224;
    for (let i = 0; i < 9; i++) {
      const one = await model.predict(x.subarray(i * image, (i + 1) * image), [1, 3, 224, 224]);
      expect(relativeError(one, batched.subarray(i * 10, (i + 1) * 10))).toBeLessThanOrEqual(FORM_TOLERANCE);
    }
  });
});

test.each(ATTENTIONS)('%s on resnet50 with the 7×7 stem: the form agrees with the exact forward', async (attention) => {
  await withModel({ arch: 'resnet50', attention, numClasses: 10, seed: 6 }, async (model) => {
    const shape: Shape4 = [2, 3, 48, 48];
    await formLogits(model, input(shape, 6), shape);
  });
});

test.each(['none', 'se'] as const)('%s: the bf16 form (amp: bf16) is near the float32 logits and the module under autocast', async (attention) => {
  // 'none' runs oneDNN's blocked layout, 'se' channels_last: both in bf16 here.
  await withModel({ arch: 'resnet18', attention, numClasses: 10, seed: 11 }, async (model) => {
    const shape: Shape4 = [3, 3, 64, 64];
    const x = input(shape, 11);
    const fp32 = await model.predict(x, shape, { exact: true });
    const autocast = await model.predict(x, shape, { amp: 'bf16', exact: true });
    const form = await model.predict(x, shape, { amp: 'bf16' });
    expect(relativeError(form, fp32)).toBeGreaterThan(1e-5); // bf16 really engaged
    expect(relativeError(form, fp32)).toBeLessThanOrEqual(3e-2);
    expect(relativeError(form, autocast)).toBeLessThanOrEqual(3e-2);
  });
});

test('concurrent predicts share one form and agree', async () => {
  await withModel({ ...options, seed: 8 }, async (model) => {
    const shape: Shape4 = [4, 1, 16, 16];
    const x = input(shape, 8);
    const all = await Promise.all([0, 1, 2, 3].map(() => model.predict(x, shape)));
    for (const logits of all) expect(Array.from(logits)).toEqual(Array.from(all[0]));
  });
});

test('exact is validated', async () => {
  await withModel({ ...options, seed: 9 }, async (model) => {
    await expect(model.predict(new Float32Array(144), [1, 1, 12, 12], { exact: 'yes' as never }))
      .rejects.toThrow(/exact: must be true or false, got 'yes'/);
  });
});
