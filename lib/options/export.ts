// Options of model.exportOnnx() and `senet-lab export`: the ONNX graph's
// opset, its batch dimension and its input size, and whether BatchNorm is
// folded into the convolutions.
import { SUPPORTED_OPSETS } from '../onnx/opsets';
import { OptionTable, resolveTable } from './table';
import { OptionError, Rule, objectField, rules } from './validate';

export interface ExportOnnxOptions {
  /** ONNX opset version of the graph, 13–21. Default 17. */
  opset?: number;
  /** Leave the batch dimension symbolic (`batch`), so one file serves every batch size. Default true. */
  dynamicBatch?: boolean;
  /** The fixed batch size, with `dynamicBatch: false` only. Default 1 there. */
  batchSize?: number;
  /** Fix the input's [height, width]; without it both stay symbolic (`height`, `width`). */
  inputSize?: [number, number];
  /** Fold each BatchNorm into the preceding convolution (the inference form); false writes BatchNormalization nodes. Default true. */
  foldBatchNorm?: boolean;
}

export interface ResolvedExportOnnxOptions {
  opset: number;
  dynamicBatch: boolean;
  batchSize?: number;
  inputSize?: [number, number];
  foldBatchNorm: boolean;
}

export const exportOnnxOptionTable: OptionTable<ExportOnnxOptions> = {
  // The supported opsets are contiguous (opsets.ts).
  opset: { rule: rules.integer(SUPPORTED_OPSETS[0], SUPPORTED_OPSETS[SUPPORTED_OPSETS.length - 1]), default: 17, help: 'ONNX opset version' },
  dynamicBatch: { rule: rules.boolean(), default: true, help: 'symbolic batch dimension (one file for every batch size)' },
  batchSize: { rule: rules.integer(1, 1 << 20), help: 'fixed batch size (with --no-dynamic-batch; default 1)' },
  inputSize: {
    rule: rules.numbers(rules.integer(1, 1 << 20), 'two integers H,W >= 1', 2) as Rule<[number, number]>,
    help: 'fixed input height,width (default: symbolic)',
  },
  foldBatchNorm: { rule: rules.boolean(), default: true, help: 'fold BatchNorm into the convolutions (else BatchNormalization nodes)' },
};

export function resolveExportOnnxOptions(options: unknown): ResolvedExportOnnxOptions {
  const resolved = resolveTable(exportOnnxOptionTable, objectField('options', options, '{ opset: 17 }')) as ResolvedExportOnnxOptions;
  if (resolved.batchSize !== undefined && resolved.dynamicBatch) {
    throw new OptionError('batchSize', 'fixes the batch dimension, so it needs dynamicBatch: false (--no-dynamic-batch)');
  }
  return resolved;
}
