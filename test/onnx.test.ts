/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
// ONNX export: onnxruntime-node runs the exported graph of every attention
// kind (ResNet-18 on both stems, ResNet-50 for the bottleneck) and its logits
// equal our predict's — and PyTorch's, whose reference model made the weights
// (random, with non-trivial BN statistics) — at two batch sizes of one
// dynamic-batch file. Also: the graph holds only standard ONNX operators, the
// fixed-shape and unfolded-BN forms, other opsets, and the CLI command.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import * as path from 'path';
import { ATTENTIONS, ExportOnnxOptions, Model, OptionError, loadModel } from '../lib';
import { readFloat32File, tempDir } from './helpers/files';
import { Reference, relativeError } from './helpers/reference';

const TOLERANCE = 1e-4;
const CLI = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');

/** The operators the export may use: all in the default ONNX domain. */
const STANDARD_OPS = new Set([
  'Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'GlobalAveragePool', 'GlobalMaxPool', 'Flatten', 'Gemm', 'Sigmoid', 'Mul', 'Add', 'Reshape',
]);

interface Case {
  options: { arch: string; stem: string; attention: string; inChannels: number; numClasses: number };
  inputShape: [number, number, number, number];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [arch, stem] of [['resnet18', 'imagenet'], ['resnet18', 'cifar'], ['resnet50', 'imagenet']]) {
    for (const attention of ATTENTIONS) {
      const inChannels = stem === 'cifar' ? 1 : 3;
      // Small inputs that still leave a 2×2 map at layer4, so average and max pooling differ.
      const side = stem === 'cifar' ? 16 : 64;
      out.push({ options: { arch, stem, attention, inChannels, numClasses: 10 }, inputShape: [2, inChannels, side, side] });
    }
  }
  return out;
}

async function ortLogits(session: ort.InferenceSession, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const result = await session.run({ input: new ort.Tensor('float32', input, shape) });
  return result.logits.data as Float32Array;
}

function decode(file: string): onnx.ModelProto {
  return onnx.ModelProto.decode(fs.readFileSync(file));
}

const dims = (info: onnx.IValueInfoProto): (number | string)[] =>
  info.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));

describe('ONNX export against onnxruntime-node and PyTorch', () => {
  const reference = new Reference();
  const dir = tempDir('onnx');

  beforeAll(async () => {
    expect(await reference.ready()).toMatch(/^\d+\.\d+/);
  });
  afterAll(() => {
    reference.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A reference model's weights loaded into ours, its input, and PyTorch's logits for it. */
  async function referenceCase(c: Case, index: number): Promise<{ model: Model; input: Float32Array; pytorch: number[]; weights: string }> {
    const weights = path.join(dir, `ref-${index}.safetensors`);
    const inputFile = path.join(dir, `input-${index}.f32`);
    const ref = await reference.call<{ logits: number[] }>({
      cmd: 'make_case', options: c.options, weights, input: inputFile, inputShape: c.inputShape, seed: 2000 + index,
    });
    return { model: await loadModel(weights), input: readFloat32File(inputFile), pytorch: ref.logits, weights };
  }

  cases().forEach((c, index) => {
    test(`${c.options.arch}/${c.options.stem}/${c.options.attention}: ORT logits = ours = PyTorch's at batch 2 and 1`, async () => {
      const { model, input, pytorch } = await referenceCase(c, index);
      const file = path.join(dir, `model-${index}.onnx`);
      try {
        await model.exportOnnx(file);
        const graph = decode(file).graph!;
        expect(graph.node!.map((n) => n.opType!).filter((op) => !STANDARD_OPS.has(op))).toEqual([]);
        expect(graph.node!.every((n) => !n.domain)).toBe(true);
        expect(dims(graph.input![0])).toEqual(['batch', c.options.inChannels, 'height', 'width']);

        const session = await ort.InferenceSession.create(file);
        const ours = await model.predict(input, c.inputShape);
        const theirs = await ortLogits(session, input, c.inputShape);
        expect(relativeError(theirs, ours)).toBeLessThanOrEqual(TOLERANCE);
        expect(relativeError(theirs, pytorch)).toBeLessThanOrEqual(TOLERANCE);

        // The same file at another batch size (the first image alone).
        const one: [number, number, number, number] = [1, ...c.inputShape.slice(1)] as [number, number, number, number];
        const first = input.slice(0, input.length / 2);
        const oursOne = await model.predict(first, one);
        expect(relativeError(await ortLogits(session, first, one), oursOne)).toBeLessThanOrEqual(TOLERANCE);
        await session.release();
      } finally {
        model.dispose();
      }
    });
  });

  test.each<[string, ExportOnnxOptions]>([
    ['opset 13, BatchNormalization nodes, fixed batch 3 and 40×48', { opset: 13, foldBatchNorm: false, dynamicBatch: false, batchSize: 3, inputSize: [40, 48] }],
    ['opset 21, folded, fixed batch 1', { opset: 21, dynamicBatch: false }],
  ])('%s', async (_name, options) => {
    const c: Case = { options: { arch: 'resnet34', stem: 'imagenet', attention: 'dual-add', inChannels: 3, numClasses: 7 }, inputShape: [3, 3, 40, 48] };
    const { model, input } = await referenceCase(c, 100 + (options.opset ?? 0));
    const file = path.join(dir, `fixed-${options.opset}.onnx`);
    try {
      await model.exportOnnx(file, options);
      const proto = decode(file);
      expect(proto.opsetImport.map((o) => Number(o.version))).toEqual([options.opset]);
      const batch = options.batchSize ?? 1;
      expect(dims(proto.graph!.input![0])).toEqual([batch, 3, ...(options.inputSize ?? ['height', 'width'])]);
      expect(dims(proto.graph!.output![0])).toEqual([batch, 7]);
      const ops = proto.graph!.node!.map((n) => n.opType);
      expect(ops.includes('BatchNormalization')).toBe(options.foldBatchNorm === false);

      const session = await ort.InferenceSession.create(file);
      const shape: [number, number, number, number] = [batch, 3, 40, 48];
      const x = input.slice(0, batch * 3 * 40 * 48);
      expect(relativeError(await ortLogits(session, x, shape), await model.predict(x, shape))).toBeLessThanOrEqual(TOLERANCE);
      // A fixed batch is fixed: onnxruntime refuses another.
      const other = batch === 3 ? 2 : 3;
      await expect(ortLogits(session, input.slice(0, other * 3 * 40 * 48), [other, 3, 40, 48])).rejects.toThrow(/dimension|shape/i);
      await session.release();
    } finally {
      model.dispose();
    }
  });

  test('bad options are OptionErrors naming the field; nothing is written', async () => {
    const c: Case = { options: { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 10 }, inputShape: [1, 1, 8, 8] };
    const { model } = await referenceCase(c, 200);
    const file = path.join(dir, 'bad.onnx');
    try {
      await expect(model.exportOnnx(file, { opset: 12 })).rejects.toThrow(new OptionError('opset', 'must be an integer in [13, 21], got 12'));
      await expect(model.exportOnnx(file, { batchSize: 4 })).rejects.toThrow(OptionError);
      await expect(model.exportOnnx(file, { batchSize: 4 })).rejects.toThrow(/^batchSize: .*dynamicBatch: false/);
      await expect(model.exportOnnx('', {})).rejects.toThrow(/^path: /);
      await expect(model.exportOnnx(path.join(dir, 'no-such-dir', 'x.onnx'))).rejects.toThrow(/ENOENT/);
      expect(fs.existsSync(file)).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  test('senet-lab export --weights w.safetensors --onnx out.onnx', async () => {
    const c: Case = { options: { arch: 'resnet18', stem: 'cifar', attention: 'cbam', inChannels: 1, numClasses: 10 }, inputShape: [2, 1, 16, 16] };
    const { model, input, pytorch, weights } = await referenceCase(c, 300);
    model.dispose();
    const file = path.join(dir, 'cli.onnx');
    const r = spawnSync(process.execPath, [CLI, 'export', '--weights', weights, '--onnx', file, '--opset', '18'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`wrote ${file}`);
    expect(decode(file).opsetImport.map((o) => Number(o.version))).toEqual([18]);
    const session = await ort.InferenceSession.create(file);
    expect(relativeError(await ortLogits(session, input, c.inputShape), pytorch)).toBeLessThanOrEqual(TOLERANCE);
    await session.release();

    const missing = spawnSync(process.execPath, [CLI, 'export', '--weights', weights], { encoding: 'utf8', timeout: 120_000 });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('onnx: is required');
    const usage = spawnSync(process.execPath, [CLI, 'export', '--weights', weights, '--onnx', file, '--batch-size', '4'], { encoding: 'utf8', timeout: 120_000 });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('batchSize: fixes the batch dimension, so it needs dynamicBatch: false (--no-dynamic-batch)');
  });
});
