// Options of predict() and evaluate(): the speed settings (mixed precision,
// memory layout) and the evaluation loader.
import { AmpMode, ampRule } from './train';
import { OptionTable, resolveTable } from './table';
import { objectField, rules } from './validate';

/** Speed settings shared by predict() and evaluate(). */
export interface InferenceOptions {
  /** Autocast dtype for the forward pass: 'bf16' (CPU and CUDA) or 'fp16' (CUDA only); logits still come back as float32. Default false. */
  amp?: AmpMode;
  /** Run the batch in channels_last layout (faster on CUDA with cuDNN). Default false. */
  channelsLast?: boolean;
}

export interface PredictOptions extends InferenceOptions {
  /**
   * Run the module's own forward, bit-identical to eager PyTorch, instead of the prepared
   * CPU inference form (BatchNorm folded into the convolutions, oneDNN-prepacked weights,
   * fused block tails; equal to float32 rounding, ≤ 1e-4 relative in the parity suite).
   * Only float32 CPU predict uses the prepared form; amp and CUDA always run the module.
   * Default false.
   */
  exact?: boolean;
}

export interface EvaluateOptions extends InferenceOptions {
  /** Samples per evaluation batch. Default 256. */
  batchSize?: number;
  /** Loader threads; default 0 (batches built on the compute thread). */
  workers?: number;
}

const inferenceOptionTable: OptionTable<InferenceOptions> = {
  amp: { rule: ampRule, default: false, help: 'mixed precision for the forward pass: bf16 (CPU and CUDA) | fp16 (CUDA only)' },
  channelsLast: { rule: rules.boolean(), default: false, help: 'channels_last batches' },
};

export const predictOptionTable: OptionTable<PredictOptions> = {
  ...inferenceOptionTable,
  exact: { rule: rules.boolean(), default: false, help: "the module's own forward, bit-identical to eager PyTorch (default: the prepared CPU inference form)" },
};

export const evaluateOptionTable: OptionTable<EvaluateOptions> = {
  batchSize: { rule: rules.integer(1, 1 << 20), default: 256, help: 'evaluation batch size' },
  workers: { rule: rules.integer(0, 64), default: 0, help: 'data loader threads' },
  ...inferenceOptionTable,
};

export function resolvePredictOptions(options: unknown): Required<PredictOptions> {
  return resolveTable(predictOptionTable, objectField('options', options, '{ amp: "bf16" }')) as Required<PredictOptions>;
}

export function resolveEvaluateOptions(options: unknown): Required<EvaluateOptions> {
  return resolveTable(evaluateOptionTable, objectField('options', options, '{ batchSize: 256 }')) as Required<EvaluateOptions>;
}
