// senet-lab: ResNet backbones with SE and avg/max channel attention on libtorch.
export { createModel, loadModel, Model } from './model';
export type { ModelSummary, PredictOptions, Shape4, StageSummary } from './model';
export {
  ARCHS,
  ATTENTIONS,
  ATTENTION_ALIASES,
  MODEL_DEFAULTS,
  OptionError,
  STEMS,
  canonicalAttention,
  resolveModelOptions,
} from './options';
export type { Arch, Attention, AttentionAlias, ModelOptions, ResolvedModelOptions, Stem } from './options';
export { runtimeInfo, setTf32, setThreads } from './runtime';
export type { RuntimeInfo } from './runtime';
export { inspectSafetensors } from './safetensors';
export type { SafetensorsInspection } from './safetensors';
export { evaluate, learningRates, train } from './train';
export type { EvalMetrics, EvalResult, EvaluateOptions, TrainControl, TrainEvent, TrainOptions, TrainResult } from './train';
export { PRESETS, SEED_PRESET, TRAIN_DEFAULTS } from './train-options';
export type { AdamWOptions, AmpMode, InMemoryDataset, OptimizerOptions, ScheduleOptions, SgdOptions, TrainSettings } from './train-options';
export { Dataset, FASHION_MNIST_DIR, NORMALIZE_PRESETS, dataset } from './data';
export type { DatasetInfo, DatasetSpec, LoaderOptions, Transform } from './data';
