// senet-lab: ResNet backbones with SE and avg/max channel attention on libtorch.
// The library only: nothing here imports the command line (cli/), the ablation runner (ablation/) or the run
// reports (record/), so a library user loads none of their packages (test/unit/library-entry.test.ts).
export { createModel, loadModel, Model } from './model';
export type { ExportOnnxOptions, ModelSummary, PredictOptions, Shape4, StageSummary } from './model';
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
export type { EvalMetrics, EvalResult, TrainControl, TrainEvent, TrainOptions, TrainResult } from './train';
export type { EvaluateOptions } from './options';
export { FMNIST_RESNET18_PRESET, PRESETS, PRESET_DEFINITIONS, SEED_PRESET, TRAIN_DEFAULTS } from './options';
export type {
  AdamWOptions, AmpMode, OptimizerOptions, Preset, PresetName, PresetSettings, ScheduleOptions, SgdOptions, ShardOptions, TrainSettings,
} from './options';
export { Dataset, FASHION_MNIST_DIR, NORMALIZE_PRESETS, dataset } from './data';
export type { DatasetInfo, DatasetSpec, InMemoryDataset, LoaderOptions, Transform } from './data';
