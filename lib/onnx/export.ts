// Model → ONNX file: the model's state_dict (as its save() writes it) becomes
// the initializers of a graph with the model's structure, encoded with
// onnx-proto and written atomically.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packageVersion } from '../native';
import { ResolvedExportOnnxOptions, ResolvedModelOptions } from '../options';
import { Dim, GraphBuilder } from './graph-builder';
import { resnetNodes } from './resnet-graph';
import { StateDict, stateDictOf } from './state-dict';

/** The graph input's and output's names. */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

/** The encoded ONNX model of a ResNet with `model`'s options and the weights in `weights`. */
export async function onnxModel(weights: StateDict, model: ResolvedModelOptions, options: ResolvedExportOnnxOptions): Promise<Uint8Array> {
  const g = new GraphBuilder();
  await resnetNodes(g, weights, model, ONNX_INPUT, ONNX_OUTPUT, { foldBatchNorm: options.foldBatchNorm });
  const untaken = weights.untaken();
  if (untaken.length) throw new Error(`ONNX export: the graph does not use ${untaken.length} weight(s): ${untaken.slice(0, 5).join(', ')}`);
  const batch: Dim = options.dynamicBatch ? 'batch' : (options.batchSize ?? 1);
  const [height, width]: Dim[] = options.inputSize ?? ['height', 'width'];
  const { arch, stem, attention, inChannels, numClasses, reduction } = model;
  return g.encode({
    opset: options.opset,
    input: { name: ONNX_INPUT, dims: [batch, inChannels, height, width] },
    output: { name: ONNX_OUTPUT, dims: [batch, numClasses] },
    graphName: `${arch}-${attention}-${stem}`,
    docString: `${arch} (stem ${stem}, attention ${attention}, r=${reduction}): NCHW float32 input → logits`,
    producerVersion: packageVersion(),
    metadata: { 'senet-lab.options': JSON.stringify({ arch, stem, attention, inChannels, numClasses, reduction }) },
  });
}

/**
 * Writes the ONNX file for a model: `save` writes its weights as safetensors
 * to the path it is given (a temporary file), which becomes the graph.
 */
export async function exportOnnxFile(
  file: string, model: ResolvedModelOptions, options: ResolvedExportOnnxOptions, save: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'senet-onnx-'));
  let weights: Buffer;
  try {
    const saved = path.join(dir, 'weights.safetensors');
    await save(saved);
    weights = await fs.promises.readFile(saved);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  const bytes = await onnxModel(stateDictOf(weights), model, options);
  // Atomic: a reader never sees a half-written file, a failed write leaves the old one.
  const partial = `${file}.partial-${process.pid}`;
  try {
    await fs.promises.writeFile(partial, bytes);
    await fs.promises.rename(partial, file);
  } catch (error) {
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
}
