// Parity with PyTorch: for every arch × attention × stem, random weights with
// non-trivial BN statistics are made by the PyTorch reference; our logits must
// match PyTorch's (the module's forward, `exact: true`, to 1e-5; the prepared
// inference form that predict uses by default, to 1e-4), our state_dict keys
// and parameter count must equal PyTorch's, and our save() must load strictly
// back into PyTorch and give the same logits.
import * as fs from 'fs';
import * as path from 'path';
import { ARCHS, ATTENTIONS, STEMS, loadModel } from '../lib';
import { readFloat32File, tempDir } from './helpers/files';
import { Reference, relativeError } from './helpers/reference';

const TOLERANCE = 1e-5;
// The inference form folds BN into the convolutions and sums pools in another
// order: float32 rounding, amplified through up to 50 layers.
const FORM_TOLERANCE = 1e-4;

interface Case {
  options: Record<string, unknown>;
  inputShape: [number, number, number, number];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const arch of ARCHS) {
    for (const stem of STEMS) {
      for (const attention of ATTENTIONS) {
        const inChannels = stem === 'cifar' ? 1 : 3;
        // Sizes that leave a 2×2 map at layer4, so max and average pooling differ everywhere.
        const side = stem === 'cifar' ? 16 : 64;
        out.push({ options: { arch, stem, attention, inChannels, numClasses: 10 }, inputShape: [2, inChannels, side, side] });
      }
    }
  }
  // Non-default widths: r large enough that the hidden width clamps to 1; grayscale on the imagenet stem.
  out.push({ options: { arch: 'resnet18', attention: 'dual-mul', reduction: 128, numClasses: 5 }, inputShape: [3, 3, 48, 40] });
  out.push({ options: { arch: 'resnet50', attention: 'avgmax-add', reduction: 4, inChannels: 1, numClasses: 3 }, inputShape: [1, 1, 64, 64] });
  return out;
}

describe('parity with PyTorch (torchvision + reference attention blocks)', () => {
  const reference = new Reference();
  const dir = tempDir('parity');

  beforeAll(async () => {
    expect(await reference.ready()).toMatch(/^\d+\.\d+/);
  });
  afterAll(() => {
    reference.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  cases().forEach(({ options, inputShape }, index) => {
    const name = `${options.arch}/${options.stem ?? 'imagenet'}/${options.attention} ${JSON.stringify({ r: options.reduction, c: options.inChannels })}`;
    test(name, async () => {
      const refWeights = path.join(dir, `ref-${index}.safetensors`);
      const ourWeights = path.join(dir, `ours-${index}.safetensors`);
      const input = path.join(dir, `input-${index}.f32`);
      const ref = await reference.call<{ keys: string[]; parameterCount: number; logits: number[] }>({
        cmd: 'make_case', options, weights: refWeights, input, inputShape, seed: 1000 + index,
      });

      const model = await loadModel(refWeights);
      try {
        expect(model.options).toMatchObject(options);
        expect(model.stateDictKeys()).toEqual(ref.keys);
        expect(model.parameterCount).toBe(ref.parameterCount);
        const x = readFloat32File(input);
        const logits = await model.predict(x, inputShape, { exact: true });
        expect(logits.length).toBe(ref.logits.length);
        expect(relativeError(logits, ref.logits)).toBeLessThanOrEqual(TOLERANCE);
        const fast = await model.predict(x, inputShape);
        expect(fast.length).toBe(ref.logits.length);
        expect(relativeError(fast, ref.logits)).toBeLessThanOrEqual(FORM_TOLERANCE);

        await model.save(ourWeights);
        const back = await reference.call<{ logits: number[] }>({
          cmd: 'forward', options, weights: ourWeights, input, inputShape,
        });
        expect(relativeError(back.logits, ref.logits)).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        model.dispose();
        for (const f of [refWeights, ourWeights, input]) fs.rmSync(f, { force: true });
      }
    });
  });
});
