// Options of predict() and evaluate(): the CUDA speed settings and the
// evaluation loader.
import { AmpMode, ampRule } from './train';
import { OptionTable, resolveTable } from './table';
import { objectField, rules } from './validate';

export interface PredictOptions {
  /** Autocast dtype for the forward pass, CUDA only (logits still come back as float32). Default false. */
  amp?: AmpMode;
  /** Run the batch in channels_last layout (faster on CUDA with cuDNN). Default false. */
  channelsLast?: boolean;
}

export interface EvaluateOptions extends PredictOptions {
  /** Default 256. */
  batchSize?: number;
  /** Loader threads; default 0 (batches built on the compute thread). */
  workers?: number;
}

export const predictOptionTable: OptionTable<PredictOptions> = {
  amp: { rule: ampRule, default: false, help: 'mixed precision for the forward pass: bf16 (CPU and CUDA) | fp16 (CUDA)' },
  channelsLast: { rule: rules.boolean(), default: false, help: 'channels_last batches' },
};

export const evaluateOptionTable: OptionTable<EvaluateOptions> = {
  batchSize: { rule: rules.integer(1, 1 << 20), default: 256, help: 'evaluation batch size' },
  workers: { rule: rules.integer(0, 64), default: 0, help: 'data loader threads' },
  ...predictOptionTable,
};

export function resolvePredictOptions(options: unknown): Required<PredictOptions> {
  return resolveTable(predictOptionTable, objectField('options', options, '{ amp: "bf16" }')) as Required<PredictOptions>;
}

export function resolveEvaluateOptions(options: unknown): Required<EvaluateOptions> {
  return resolveTable(evaluateOptionTable, objectField('options', options, '{ batchSize: 256 }')) as Required<EvaluateOptions>;
}
