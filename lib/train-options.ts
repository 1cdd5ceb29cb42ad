// Training options: types, the seed paper's preset, and validation that runs
// before any native work and names the field at fault.
import { OptionError, integerIn, oneOf } from './options';

export interface InMemoryDataset {
  /** N×C×H×W values, NCHW row-major: bytes 0–255 (scaled by 1/255) or float32 used as is. */
  images: Uint8Array | Float32Array;
  /** One class index per image, 0 ≤ label < numClasses. */
  labels: ArrayLike<number>;
  shape: [number, number, number, number];
  /** Per-channel normalization applied after scaling: (x − mean) / std. */
  normalize?: { mean: number[]; std: number[] };
}

export interface SgdOptions {
  type: 'sgd';
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** Coupled L2 (added to the gradient), as torch.optim.SGD. */
  weightDecay?: number;
  /** false: no weight decay on BN parameters and biases. Default true (torch's default). */
  decayNormAndBias?: boolean;
}

export interface AdamWOptions {
  type: 'adamw';
  lr: number;
  betas?: [number, number];
  eps?: number;
  /** Decoupled weight decay, as torch.optim.AdamW (default 0.01). */
  weightDecay?: number;
  decayNormAndBias?: boolean;
}

export type OptimizerOptions = SgdOptions | AdamWOptions;

export interface ScheduleOptions {
  /**
   * By iteration: `constant`; `step` (lr·gamma^⌊t/stepSize⌋, StepLR); `multistep` (lr·gamma^#{milestones ≤ t},
   * MultiStepLR); `cosine` (to finalLr at the last iteration, CosineAnnealingLR).
   */
  type: 'constant' | 'step' | 'multistep' | 'cosine';
  stepSize?: number;
  milestones?: number[];
  gamma?: number;
  finalLr?: number;
  /** Linear warmup from lr·warmupStartFactor to lr over this many iterations, in front of the schedule (LinearLR + SequentialLR). */
  warmupIterations?: number;
  warmupStartFactor?: number;
}

export interface TrainSettings {
  iterations: number;
  batchSize: number;
  optimizer: OptimizerOptions;
  schedule: ScheduleOptions;
  labelSmoothing: number;
  logEvery: number;
  /** 0: evaluate only at the end. */
  evalEvery: number;
  evalBatchSize: number;
  /** 0: checkpoint only at the end and on abort. */
  checkpointEvery: number;
  keepCheckpoints: number;
  /** Run directory for metrics.jsonl, checkpoints/ and model.safetensors. Without it nothing is written. */
  outDir?: string;
  /** Data order seed (and the model's init seed when the model is given as options without one). */
  seed: number;
  shuffle: boolean;
  dropLast: boolean;
  /**
   * Skip batches whose loss is NaN/inf instead of failing. On CUDA (SGD) losses are read back only at log, eval
   * and checkpoint points: a bad step's update is undone on the device, and the run stops (or the skip events
   * arrive) at the next such point.
   */
  skipNonFinite: boolean;
  /**
   * Mixed precision on CUDA: autocast in bfloat16 or float16 around forward + loss (float16 adds dynamic loss
   * scaling with torch.cuda.amp.GradScaler's semantics). false (default) trains in float32. CUDA only.
   */
  amp: AmpMode;
  /** channels_last model and batches. Default: true on CUDA, false on CPU (slower there with libtorch 1.13's oneDNN). */
  channelsLast?: boolean;
  /** cuDNN autotuning (torch.backends.cudnn.benchmark) during the run, CUDA only. Default true. */
  cudnnBenchmark: boolean;
}

export type AmpMode = 'bf16' | 'fp16' | false;
export const AMP_MODES = ['bf16', 'fp16'] as const;

/** Validates an `amp` value: false (off), 'bf16' or 'fp16'. */
export function validateAmp(field: string, value: unknown): AmpMode {
  if (value === false) return false;
  if (typeof value === 'string' && (AMP_MODES as readonly string[]).includes(value)) return value as AmpMode;
  throw new OptionError(field, `unknown value ${JSON.stringify(value)}; valid: false, 'bf16', 'fp16' (the last two on CUDA only)`);
}

/** amp needs a CUDA model: autocast in bf16/fp16 is a GPU speed-up here. */
export function checkAmpDevice(field: string, amp: AmpMode, device: string): void {
  if (amp !== false && !device.startsWith('cuda')) {
    throw new OptionError(
      field,
      `'${amp}' needs a CUDA device (autocast in bf16/fp16 is a GPU speed-up), but the model is on ${device}; valid values: false, 'bf16', 'fp16' (the last two on CUDA only)`,
    );
  }
}

/** The seed paper's recipe: batch 8, 200k iterations, SGD momentum 0.9, wd 1e-4, lr 0.01 → 0.001 at 100k, cross-entropy. */
export const SEED_PRESET: Pick<TrainSettings, 'iterations' | 'batchSize' | 'optimizer' | 'schedule' | 'labelSmoothing'> = {
  iterations: 200_000,
  batchSize: 8,
  optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-4 },
  schedule: { type: 'step', stepSize: 100_000, gamma: 0.1 },
  labelSmoothing: 0,
};

export const PRESETS = { seed: SEED_PRESET } as const;
export type PresetName = keyof typeof PRESETS;

export const TRAIN_DEFAULTS: TrainSettings = {
  iterations: 1000,
  batchSize: 8,
  optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-4 },
  schedule: { type: 'constant' },
  labelSmoothing: 0,
  logEvery: 50,
  evalEvery: 0,
  evalBatchSize: 256,
  checkpointEvery: 0,
  keepCheckpoints: 2,
  seed: 0,
  shuffle: true,
  dropLast: true,
  skipNonFinite: false,
  amp: false,
  cudnnBenchmark: true,
};

function finiteNumber(field: string, value: unknown, check: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new OptionError(field, `must be ${rule}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptionError(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function knownKeys(field: string, value: object, keys: string[]): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new OptionError(`${field}${key}`, `unknown option; valid: ${keys.join(', ')}`);
  }
}

export function validateOptimizer(o: unknown): OptimizerOptions {
  if (o === null || typeof o !== 'object') throw new OptionError('optimizer', 'must be an object like { type: "sgd", lr: 0.01 }');
  const raw = o as Record<string, unknown>;
  const type = oneOf('optimizer.type', raw.type ?? 'sgd', ['sgd', 'adamw'] as const);
  const lr = finiteNumber('optimizer.lr', raw.lr, (v) => v > 0, 'a number > 0');
  const nonNegative = (key: string, fallback: number): number =>
    finiteNumber(`optimizer.${key}`, raw[key] ?? fallback, (v) => v >= 0, 'a number >= 0');
  const decayNormAndBias = bool('optimizer.decayNormAndBias', raw.decayNormAndBias ?? true);
  if (type === 'sgd') {
    knownKeys('optimizer.', raw, ['type', 'lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'decayNormAndBias']);
    const sgd: SgdOptions = {
      type, lr, momentum: nonNegative('momentum', 0.9), dampening: nonNegative('dampening', 0),
      nesterov: bool('optimizer.nesterov', raw.nesterov ?? false), weightDecay: nonNegative('weightDecay', 1e-4), decayNormAndBias,
    };
    if (sgd.nesterov && (sgd.momentum! <= 0 || sgd.dampening !== 0)) {
      throw new OptionError('optimizer.nesterov', 'requires momentum > 0 and dampening 0 (as torch.optim.SGD)');
    }
    return sgd;
  }
  knownKeys('optimizer.', raw, ['type', 'lr', 'betas', 'eps', 'weightDecay', 'decayNormAndBias']);
  const betas = (raw.betas ?? [0.9, 0.999]) as unknown[];
  if (!Array.isArray(betas) || betas.length !== 2) throw new OptionError('optimizer.betas', 'must be [beta1, beta2]');
  betas.forEach((b, i) => finiteNumber(`optimizer.betas[${i}]`, b, (v) => v >= 0 && v < 1, 'in [0, 1)'));
  return {
    type, lr, betas: betas as [number, number], eps: finiteNumber('optimizer.eps', raw.eps ?? 1e-8, (v) => v > 0, 'a number > 0'),
    weightDecay: nonNegative('weightDecay', 0.01), decayNormAndBias,
  };
}

export function validateSchedule(s: unknown, iterations: number): ScheduleOptions {
  if (s === null || typeof s !== 'object') throw new OptionError('schedule', 'must be an object like { type: "step", stepSize: 1000 }');
  const raw = s as Record<string, unknown>;
  knownKeys('schedule.', raw, ['type', 'stepSize', 'milestones', 'gamma', 'finalLr', 'warmupIterations', 'warmupStartFactor']);
  const type = oneOf('schedule.type', raw.type, ['constant', 'step', 'multistep', 'cosine'] as const);
  const out: ScheduleOptions = {
    type,
    gamma: finiteNumber('schedule.gamma', raw.gamma ?? 0.1, (v) => v > 0, 'a number > 0'),
    finalLr: finiteNumber('schedule.finalLr', raw.finalLr ?? 0, (v) => v >= 0, 'a number >= 0'),
    warmupIterations: integerIn('schedule.warmupIterations', raw.warmupIterations ?? 0, 0, iterations),
    warmupStartFactor: finiteNumber('schedule.warmupStartFactor', raw.warmupStartFactor ?? 0.1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
  };
  if (type === 'step') {
    if (raw.stepSize === undefined) throw new OptionError('schedule.stepSize', 'is required for the step schedule');
    out.stepSize = integerIn('schedule.stepSize', raw.stepSize, 1);
  }
  if (type === 'multistep') {
    const milestones = raw.milestones;
    if (!Array.isArray(milestones) || milestones.length === 0) {
      throw new OptionError('schedule.milestones', 'must be a non-empty array of iterations for the multistep schedule');
    }
    milestones.forEach((m, i) => {
      integerIn(`schedule.milestones[${i}]`, m, 1);
      if (i > 0 && m <= milestones[i - 1]) {
        throw new OptionError('schedule.milestones', `must be strictly increasing, got ${JSON.stringify(milestones)}`);
      }
    });
    out.milestones = milestones as number[];
  }
  return out;
}

/** Merges defaults, preset and overrides field by field, then validates. */
export function resolveTrainSettings(options: Partial<TrainSettings> & { preset?: PresetName }): TrainSettings {
  const preset: Partial<TrainSettings> =
    options.preset === undefined ? {} : PRESETS[oneOf('preset', options.preset, Object.keys(PRESETS) as PresetName[])];
  const merged = { ...TRAIN_DEFAULTS, ...preset, ...defined(options) } as TrainSettings & { preset?: string };
  const iterations = integerIn('iterations', merged.iterations, 1);
  const base = { ...(preset.optimizer ?? TRAIN_DEFAULTS.optimizer) };
  // Optimizer fields override the preset's one by one; a different type starts from that type's defaults.
  const optimizerInput = options.optimizer
    ? options.optimizer.type && options.optimizer.type !== base.type ? options.optimizer : { ...base, ...options.optimizer }
    : base;
  const settings: TrainSettings = {
    iterations,
    batchSize: integerIn('batchSize', merged.batchSize, 1, 1 << 20),
    optimizer: validateOptimizer(optimizerInput),
    schedule: validateSchedule(options.schedule ?? preset.schedule ?? TRAIN_DEFAULTS.schedule, iterations),
    labelSmoothing: finiteNumber('labelSmoothing', merged.labelSmoothing, (v) => v >= 0 && v <= 1, 'in [0, 1]'),
    logEvery: integerIn('logEvery', merged.logEvery, 1),
    evalEvery: integerIn('evalEvery', merged.evalEvery, 0),
    evalBatchSize: integerIn('evalBatchSize', merged.evalBatchSize, 1, 1 << 20),
    checkpointEvery: integerIn('checkpointEvery', merged.checkpointEvery, 0),
    keepCheckpoints: integerIn('keepCheckpoints', merged.keepCheckpoints, 1),
    seed: integerIn('seed', merged.seed, 0),
    shuffle: bool('shuffle', merged.shuffle),
    dropLast: bool('dropLast', merged.dropLast),
    skipNonFinite: bool('skipNonFinite', merged.skipNonFinite),
    amp: validateAmp('amp', merged.amp),
    cudnnBenchmark: bool('cudnnBenchmark', merged.cudnnBenchmark),
  };
  if (merged.channelsLast !== undefined) settings.channelsLast = bool('channelsLast', merged.channelsLast);
  if (merged.outDir !== undefined) {
    if (typeof merged.outDir !== 'string' || merged.outDir === '') throw new OptionError('outDir', 'must be a non-empty path');
    settings.outDir = merged.outDir;
  }
  return settings;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
