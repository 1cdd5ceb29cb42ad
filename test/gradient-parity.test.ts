// Gradient parity with PyTorch for the channel-attention blocks.
// Block level: one block, forward + backward, through both native paths (the
// fused CPU kernels and the unfused torch-op path), against the reference
// module's autograd: y, grad_x and every parameter gradient. Inputs include
// all-zero planes (ReLU-dead or zeroed BN channels, where every element ties
// for the max and the reference's adaptive_max_pool2d routes the max gradient
// to the first element), planes of small integers with tied maxima, and 1×1,
// 2×2 and odd spatial sizes.
// Model level: the train-mode loss and every parameter gradient of whole
// ResNets whose residual branches end in some all-zero channels.
// (Here both are in fact bit-identical to PyTorch's: the fused kernels use
// ATen's sums and PyTorch's accumulation order. The tolerance is kept at 1e-5
// because train-mode BN over a few values per channel is ill-conditioned, so
// another libtorch build could legitimately differ in the last bits.)
import * as fs from 'fs';
import * as path from 'path';
import { ATTENTIONS, loadModel } from '../lib';
import { readFloat32File, tempDir } from './helpers/files';
import { Reference } from './helpers/reference';
import { testHooks } from './helpers/test-addon';

const BLOCK_TOLERANCE = 1e-5;
const MODEL_TOLERANCE = 1e-5;
const KINDS = ATTENTIONS.filter((a) => a !== 'none');

interface Compared {
  errors: Record<string, number>;
  extra: string[];
}

function expectClose(result: Compared, keys: string[], tolerance: number): void {
  expect(result.extra).toEqual([]);
  expect(Object.keys(result.errors).sort()).toEqual([...keys].sort());
  for (const [key, error] of Object.entries(result.errors)) {
    // The key in the message says which tensor failed.
    expect({ key, error: error <= tolerance ? 'ok' : error }).toEqual({ key, error: 'ok' });
  }
}

const BLOCK_SHAPES: { name: string; shape: [number, number, number, number]; zero: [number, number][]; tied: [number, number][] }[] = [
  // Odd sides; sample 0 has dead and tied planes next to live ones.
  { name: '7×5, zero and tied planes', shape: [2, 32, 7, 5], zero: [[0, 0], [0, 3], [0, 4], [1, 31]], tied: [[0, 1], [1, 2], [1, 5]] },
  // A whole sample of zero planes next to a live one.
  { name: '3×3, one sample all zero', shape: [2, 16, 3, 3], zero: Array.from({ length: 16 }, (_, c) => [0, c] as [number, number]), tied: [[1, 0]] },
  { name: '2×2', shape: [3, 24, 2, 2], zero: [[0, 5], [2, 0]], tied: [[1, 1], [1, 7]] },
  { name: '1×1', shape: [4, 20, 1, 1], zero: [[1, 2]], tied: [] },
];

describe('gradient parity with PyTorch', () => {
  const reference = new Reference();
  const dir = tempDir('gradient-parity');

  beforeAll(async () => {
    await reference.ready();
  });
  afterAll(() => {
    reference.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let caseIndex = 0;
  for (const kind of KINDS) {
    for (const { name, shape, zero, tied } of BLOCK_SHAPES) {
      const index = caseIndex++;
      test(`block ${kind}, ${name} [${shape.join(', ')}]: fused and unfused paths`, async () => {
        const input = path.join(dir, `block-${index}.safetensors`);
        const expected = path.join(dir, `block-${index}-expected.safetensors`);
        const reduction = 4;
        await reference.call({ cmd: 'attention_case', kind, reduction, shape, seed: 500 + index, zeroPlanes: zero, tiedPlanes: tied, input, expected });
        const params = kind === 'eca' ? ['conv.weight'] : ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];
        for (const fused of [true, false]) {
          const output = path.join(dir, `block-${index}-${fused ? 'fused' : 'unfused'}.safetensors`);
          await testHooks().attentionCheck({ kind, reduction, fused, input, output });
          const result = await reference.call<Compared>({ cmd: 'compare_tensors', ours: output, expected });
          expectClose(result, ['y', 'grad_x', ...params.map((p) => `grad.${p}`)], BLOCK_TOLERANCE);
        }
      });
    }
  }

  test('a check of the fused path refuses an input the fused path does not take', async () => {
    const input = path.join(dir, 'block-double.safetensors');
    const expected = path.join(dir, 'block-double-expected.safetensors');
    await reference.call({ cmd: 'attention_case', kind: 'se', reduction: 4, shape: [1, 8, 2, 2], seed: 1, input, expected, dtype: 'float64' });
    await expect(testHooks().attentionCheck({ kind: 'se', reduction: 4, fused: true, input, output: path.join(dir, 'x.safetensors') }))
      .rejects.toThrow(/fused attention path does not apply/);
  });

  const MODEL_CASES = [
    ...KINDS.map((attention) => ({ arch: 'resnet18', attention, side: 13, batch: 2 })), // odd sizes: 13, 7, 4, 2
    ...KINDS.map((attention) => ({ arch: 'resnet18', attention, side: 8, batch: 4 })), // layer4 at 1×1
    { arch: 'resnet50', attention: 'dual-add', side: 13, batch: 2 },
    { arch: 'resnet50', attention: 'avgmax-mul', side: 11, batch: 2 },
  ];
  MODEL_CASES.forEach(({ arch, attention, side, batch }, index) => {
    test(`model ${arch}/cifar/${attention} ${side}×${side} batch ${batch}, 3 dead channels per block: loss and all parameter gradients`, async () => {
      const options = { arch, stem: 'cifar', attention, inChannels: 1, numClasses: 10 };
      const file = (name: string) => path.join(dir, `model-${index}-${name}`);
      const inputShape = [batch, 1, side, side];
      const labels = Array.from({ length: batch }, (_, i) => (3 * i + index) % 10);
      const ref = await reference.call<{ loss: number }>({
        cmd: 'gradient_case', options, seed: 900 + index, deadChannels: 3, weights: file('weights.safetensors'), input: file('input.f32'),
        inputShape, labels, gradients: file('theirs.safetensors'),
      });
      const model = await loadModel(file('weights.safetensors'));
      try {
        const loss = await testHooks().gradients(model.nativeHandle(), readFloat32File(file('input.f32')), inputShape, Int32Array.from(labels), file('ours.safetensors'));
        expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThanOrEqual(MODEL_TOLERANCE);
        const result = await reference.call<Compared>({ cmd: 'compare_tensors', ours: file('ours.safetensors'), expected: file('theirs.safetensors') });
        const parameters = model.stateDictKeys().filter((k) => !/running_|num_batches/.test(k));
        expectClose(result, parameters, MODEL_TOLERANCE);
      } finally {
        model.dispose();
      }
    });
  });
});
