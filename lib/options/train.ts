// Training options: the public types, their tables (top-level settings,
// optimizer, schedule, data shard), the presets, and resolution
// into the plain object the native trainer copies into its struct
// (native/train/train_options.h).
import { DistributedOptions, ResolvedDistributedOptions, resolveDistributed } from './distributed';
import type { ModelOptions } from './model';
import { OptionTable, defaultsOf, resolveTable } from './table';
import { OptionError, Rule, definedFields, describe, objectField, rules } from './validate';

export interface SgdOptions {
  /** Stochastic gradient descent, as torch.optim.SGD (the default optimizer). */
  type: 'sgd';
  /** Base learning rate, before the schedule. Default 0.01. */
  lr: number;
  /** Momentum factor. Default 0.9. */
  momentum?: number;
  /** Dampening for momentum. Default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** Coupled L2 weight decay (added to the gradient), as torch.optim.SGD. Default 1e-4. */
  weightDecay?: number;
  /** false: no weight decay on BN parameters and biases. Default true (torch's default). */
  decayNormAndBias?: boolean;
}

export interface AdamWOptions {
  /** Adam with decoupled weight decay, as torch.optim.AdamW. */
  type: 'adamw';
  /** Base learning rate, before the schedule. Default 0.01. */
  lr: number;
  /** Coefficients of the running averages of the gradient and its square. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay, as torch.optim.AdamW (default 0.01). */
  weightDecay?: number;
  /** false: no weight decay on BN parameters and biases. Default true (torch's default). */
  decayNormAndBias?: boolean;
}

export type OptimizerOptions = SgdOptions | AdamWOptions;

export interface ScheduleOptions {
  /**
   * By iteration: `constant`; `step` (lr·gamma^⌊t/stepSize⌋, StepLR); `multistep` (lr·gamma^#{milestones ≤ t},
   * MultiStepLR); `cosine` (to finalLr at the last iteration, CosineAnnealingLR).
   */
  type: 'constant' | 'step' | 'multistep' | 'cosine';
  /** The step schedule's iterations between decays (required there). */
  stepSize?: number;
  /** The multistep schedule's iterations at which the lr decays, strictly increasing (required there). */
  milestones?: number[];
  /** Decay factor of the step and multistep schedules. Default 0.1. */
  gamma?: number;
  /** The cosine schedule's learning rate at the last iteration. Default 0. */
  finalLr?: number;
  /** Linear warmup from lr·warmupStartFactor to lr over this many iterations, in front of the schedule (LinearLR + SequentialLR). */
  warmupIterations?: number;
  /** The warmup's first learning rate, as a fraction of lr. Default 0.1. */
  warmupStartFactor?: number;
}

export type AmpMode = 'bf16' | 'fp16' | false;
export const AMP_MODES = ['bf16', 'fp16'] as const;

/** This process's slice of the training data (DistributedSampler's padding and striding). */
export interface ShardOptions {
  /** This process's shard, 0 … worldSize − 1. Default 0. */
  rank: number;
  /** Number of shards. Default 1. */
  worldSize: number;
}

/** Every training setting, resolved (what `train()` reports back in `TrainResult.settings`). */
export interface TrainSettings {
  /** Training iterations (optimizer steps); the data repeats in epochs as needed. Default 1000. */
  iterations: number;
  /** Samples per step (per process in a distributed run). Default 8. */
  batchSize: number;
  /** The optimizer and its settings. Default SGD with lr 0.01, momentum 0.9, weight decay 1e-4. */
  optimizer: OptimizerOptions;
  /** The learning-rate schedule over the iterations. Default constant. */
  schedule: ScheduleOptions;
  /** Cross-entropy label smoothing, in [0, 1]. Default 0. */
  labelSmoothing: number;
  /** Iterations between step events (loss, lr, images per second). Default 50. */
  logEvery: number;
  /** Iterations between evaluations on the test data; 0: evaluate only at the end. Default 0. */
  evalEvery: number;
  /** Batch size of those evaluations. Default 256. */
  evalBatchSize: number;
  /** Iterations between checkpoints (with outDir); 0: checkpoint only at the end and on abort. Default 0. */
  checkpointEvery: number;
  /** Checkpoints kept in outDir/checkpoints/; older ones are removed. Default 2. */
  keepCheckpoints: number;
  /** Run directory for metrics.jsonl, checkpoints/ and model.safetensors. Without it nothing is written. */
  outDir?: string;
  /**
   * Continue the run in this directory from its latest checkpoint (outDir defaults to it). The settings and the
   * model the checkpoint recorded fill in what is not given; given fields may change only iterations,
   * optimizer.lr, the schedule and how the run runs (docs/training.md, "Checkpoints and resume").
   */
  resume?: string;
  /** Data order seed (and the model's init seed when the model is given as options without one). Default 0. */
  seed: number;
  /** Shuffle the training data each epoch (seeded by seed). Default true. */
  shuffle: boolean;
  /** Drop each epoch's last partial batch. Default true. */
  dropLast: boolean;
  /**
   * Skip batches whose loss is NaN/inf instead of failing. On CUDA (SGD) losses are read back only at log, eval
   * and checkpoint points: a bad step's update is undone on the device, and the run stops (or the skip events
   * arrive) at the next such point.
   */
  skipNonFinite: boolean;
  /**
   * Mixed precision: autocast around forward + loss in 'bf16' (CPU and CUDA) or 'fp16' (CUDA only; adds dynamic
   * loss scaling with torch.cuda.amp.GradScaler's semantics). Default false: float32.
   */
  amp: AmpMode;
  /** channels_last model and batches. Default: true on CUDA, false on CPU (slower there with libtorch 1.13's oneDNN). */
  channelsLast?: boolean;
  /** cuDNN autotuning (torch.backends.cudnn.benchmark) during the run, CUDA only. Default true. */
  cudnnBenchmark: boolean;
  /** Loader threads that decode and transform ahead (0: on the training thread). Default 0. */
  workers: number;
  /** Batches ready ahead, per loader worker. Default 2. */
  prefetch: number;
  /** Intra-op threads for this process (default: all cores). */
  threads?: number;
  /** Train on this slice of the data only (no gradient exchange; distributed runs set it themselves). */
  shard?: ShardOptions;
  /** Data-parallel training with other processes (see DistributedOptions); absent: this process trains alone. */
  distributed?: ResolvedDistributedOptions;
}

/** An `amp` value: false (off), 'bf16' or 'fp16'. */
export const ampRule: Rule<AmpMode> = rules.custom<AmpMode>(
  'enum',
  "false | 'bf16' | 'fp16'",
  (v) => v === false || (AMP_MODES as readonly unknown[]).includes(v),
  (v) => `unknown value ${describe(v)}; valid: false, 'bf16' (CPU and CUDA), 'fp16' (CUDA only)`,
  AMP_MODES,
);

type TrainScalars = Omit<TrainSettings, 'optimizer' | 'schedule' | 'shard' | 'distributed'>;

const positive = rules.integer(1);
const nonNegative = rules.integer(0);

export const trainOptionTable: OptionTable<TrainScalars> = {
  iterations: { rule: positive, default: 1000, help: 'training iterations' },
  batchSize: { rule: rules.integer(1, 1 << 20), default: 8, help: 'batch size (per process in distributed runs)' },
  labelSmoothing: { rule: rules.number('in [0, 1]', (v) => v >= 0 && v <= 1), default: 0, help: 'cross-entropy label smoothing' },
  logEvery: { rule: positive, default: 50, help: 'iterations between step events' },
  evalEvery: { rule: nonNegative, default: 0, help: 'iterations between evaluations (0: at the end)' },
  evalBatchSize: { rule: rules.integer(1, 1 << 20), default: 256, help: 'evaluation batch size' },
  checkpointEvery: { rule: nonNegative, default: 0, help: 'iterations between checkpoints (0: at the end)' },
  keepCheckpoints: { rule: positive, default: 2, help: 'checkpoints kept' },
  outDir: { rule: rules.text('a non-empty path'), help: 'run directory', flag: 'out' },
  resume: { rule: rules.text('the run directory to continue'), help: 'continue the run in this directory' },
  seed: { rule: nonNegative, default: 0, help: 'seed for the data order (and the initial weights)' },
  shuffle: { rule: rules.boolean(), default: true, help: 'shuffle the data each epoch' },
  dropLast: { rule: rules.boolean(), default: true, help: 'drop the last partial batch of each epoch' },
  skipNonFinite: { rule: rules.boolean(), default: false, help: 'skip batches with a NaN/inf loss instead of failing' },
  amp: { rule: ampRule, default: false, help: 'mixed precision: bf16 (CPU and CUDA) | fp16 (CUDA only)' },
  channelsLast: { rule: rules.boolean(), help: 'channels_last model and batches (default: on for CUDA, off for CPU)' },
  cudnnBenchmark: { rule: rules.boolean(), default: true, help: 'cuDNN autotuning during the run (CUDA only)' },
  workers: { rule: rules.integer(0, 64), default: 0, help: 'data loader threads' },
  prefetch: { rule: rules.integer(1, 64), default: 2, help: 'batches ready ahead per loader worker' },
  threads: { rule: rules.integer(1, 1024), help: 'intra-op threads (default: all cores)' },
};

const lr = rules.number('a number > 0', (v) => v > 0);
const nonNegativeNumber = rules.number('a number >= 0', (v) => v >= 0);

export const sgdOptionTable: OptionTable<SgdOptions> = {
  type: { rule: rules.oneOf(['sgd'] as const), default: 'sgd', help: 'optimizer', flag: 'optimizer' },
  lr: { rule: lr, default: 0.01, help: 'base learning rate' },
  momentum: { rule: nonNegativeNumber, default: 0.9, help: 'SGD momentum' },
  dampening: { rule: nonNegativeNumber, default: 0, help: 'SGD dampening' },
  nesterov: { rule: rules.boolean(), default: false, help: 'Nesterov momentum' },
  weightDecay: { rule: nonNegativeNumber, default: 1e-4, help: 'weight decay (SGD: coupled L2; AdamW: decoupled)' },
  decayNormAndBias: { rule: rules.boolean(), default: true, help: 'weight decay on BN parameters and biases too' },
};

export const adamwOptionTable: OptionTable<AdamWOptions> = {
  type: { rule: rules.oneOf(['adamw'] as const), default: 'adamw', help: 'optimizer', flag: 'optimizer' },
  lr: sgdOptionTable.lr,
  betas: {
    rule: rules.numbers(rules.number('in [0, 1)', (v) => v >= 0 && v < 1), '[beta1, beta2], each in [0, 1)', 2) as Rule<[number, number]>,
    default: [0.9, 0.999],
    help: 'AdamW betas',
  },
  eps: { rule: lr, default: 1e-8, help: 'AdamW epsilon' },
  weightDecay: { ...sgdOptionTable.weightDecay, default: 0.01 },
  decayNormAndBias: sgdOptionTable.decayNormAndBias,
};

const OPTIMIZER_TABLES = { sgd: sgdOptionTable, adamw: adamwOptionTable } as const;

export const scheduleOptionTable: OptionTable<ScheduleOptions> = {
  type: { rule: rules.oneOf(['constant', 'step', 'multistep', 'cosine'] as const), default: 'constant', help: 'learning-rate schedule', flag: 'schedule' },
  stepSize: { rule: positive, help: 'step schedule: iterations between decays' },
  milestones: { rule: rules.numbers(positive, 'a non-empty array of iterations'), help: 'multistep schedule: iterations, comma-separated' },
  gamma: { rule: lr, default: 0.1, help: 'decay factor' },
  finalLr: { rule: nonNegativeNumber, default: 0, help: 'cosine schedule: final learning rate' },
  warmupIterations: { rule: nonNegative, default: 0, help: 'linear warmup iterations' },
  warmupStartFactor: { rule: rules.number('in (0, 1]', (v) => v > 0 && v <= 1), default: 0.1, help: 'warmup starts at lr × this' },
};

export const shardOptionTable: OptionTable<ShardOptions> = {
  rank: { rule: nonNegative, default: 0, help: 'this process\'s shard', flag: false },
  worldSize: { rule: positive, default: 1, help: 'number of shards', flag: false },
};

/** What a preset's training recipe sets: the recipe itself, and how often it evaluates. */
export type PresetSettings = Pick<TrainSettings, 'iterations' | 'batchSize' | 'optimizer' | 'schedule' | 'labelSmoothing'> & Partial<Pick<TrainSettings, 'evalEvery'>>;

/**
 * A named recipe, the one object both `train({ preset })` and the command line's `--preset` read: the model it is
 * for, its training settings, and the data it was tuned on.
 */
export interface Preset {
  /** One line for --help and the docs. */
  summary: string;
  /** Model options a new model starts from (options given as `model` override them; a given Model is trained as it is). */
  model: Pick<ModelOptions, 'arch' | 'stem' | 'attention'>;
  /** The training settings; fields given next to the preset override them (see resolveTrainSettings). */
  train: PresetSettings;
  /**
   * The data the recipe was tuned on, as the command line names it (`--data`, `--augment`), which the commands
   * use by default with this preset; `train()` trains on the datasets it is given. Absent: no particular data.
   */
  data?: {
    /** The `--data` spec: `fashion-mnist`, `cifar10:DIR`, … (docs/cli.md, "Datasets"). */
    spec: string;
    /** Whether the recipe trains with the spec's augmentation (`--augment`). */
    augment: boolean;
  };
}

/** The seed paper's recipe: batch 8, 200k iterations, SGD momentum 0.9, wd 1e-4, lr 0.01 → 0.001 at 100k, cross-entropy. */
export const SEED_PRESET: PresetSettings = {
  iterations: 200_000,
  batchSize: 8,
  optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 1e-4 },
  schedule: { type: 'step', stepSize: 100_000, gamma: 0.1 },
  labelSmoothing: 0,
};

/** Iterations in one Fashion-MNIST epoch at batch 64 with the last partial batch dropped: ⌊60000 / 64⌋. */
const FMNIST_STEPS_PER_EPOCH_64 = 937;

/**
 * The training settings of the converged Fashion-MNIST reference recipe for ResNet-18 with the 3×3 (`cifar`) stem:
 * 6 epochs of batch 64, SGD momentum 0.9, weight decay 5e-4, lr 0.05 with 200 warmup iterations and cosine decay to
 * 0, label smoothing 0.1, evaluated every second epoch. The preset (`PRESET_DEFINITIONS['fmnist-resnet18']`) also
 * picks the model (resnet18, cifar stem) and the data (Fashion-MNIST, crop + flip);
 * bench/results/fmnist-resnet18.json holds its recorded result.
 */
export const FMNIST_RESNET18_PRESET: PresetSettings = {
  iterations: 6 * FMNIST_STEPS_PER_EPOCH_64,
  batchSize: 64,
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 5e-4 },
  schedule: { type: 'cosine', finalLr: 0, warmupIterations: 200 },
  labelSmoothing: 0.1,
  evalEvery: 2 * FMNIST_STEPS_PER_EPOCH_64,
};

/** Every preset by name: its model, training settings and data, in one place. */
export const PRESET_DEFINITIONS = {
  seed: {
    summary: 'the seed paper\'s recipe: batch 8, 200k iterations, SGD 0.9, wd 1e-4, lr 0.01 → 0.001 at 100k (any model and data)',
    model: {},
    train: SEED_PRESET,
  },
  'fmnist-resnet18': {
    summary: 'ResNet-18 with the 3×3 stem on Fashion-MNIST (crop + flip), 6 epochs of batch 64, SGD 0.9, wd 5e-4, lr 0.05, ' +
      '200 warmup iterations, cosine to 0, label smoothing 0.1',
    model: { arch: 'resnet18', stem: 'cifar' },
    train: FMNIST_RESNET18_PRESET,
    data: { spec: 'fashion-mnist', augment: true },
  },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESET_DEFINITIONS;

/** The training settings of every preset, by name: `PRESET_DEFINITIONS[name].train` (the same objects). */
export const PRESETS: { readonly [name in PresetName]: PresetSettings } = {
  seed: PRESET_DEFINITIONS.seed.train,
  'fmnist-resnet18': PRESET_DEFINITIONS['fmnist-resnet18'].train,
};

/** The preset a name selects, checked: an unknown name is an OptionError listing the presets. */
export function presetNamed(name: unknown, field = 'preset'): Preset {
  const valid = resolveTable({ [field]: { rule: rules.oneOf(Object.keys(PRESET_DEFINITIONS) as PresetName[]), help: '' } }, { [field]: name });
  return PRESET_DEFINITIONS[valid[field] as PresetName];
}

export const TRAIN_DEFAULTS: TrainSettings = Object.freeze({
  ...(defaultsOf(trainOptionTable) as TrainScalars),
  optimizer: defaultsOf(sgdOptionTable) as SgdOptions,
  schedule: { type: 'constant' } as ScheduleOptions,
});

/** Checks an optimizer object against its type's table and torch.optim's rules. */
export function resolveOptimizer(value: unknown): OptimizerOptions {
  const raw = objectField('optimizer', value, '{ type: "sgd", lr: 0.01 }');
  const type = resolveTable({ type: { rule: rules.oneOf(['sgd', 'adamw'] as const), help: '' } }, { type: raw.type ?? 'sgd' }, 'optimizer.').type;
  const optimizer = resolveTable<OptimizerOptions>(OPTIMIZER_TABLES[type] as OptionTable<OptimizerOptions>, { ...raw, type }, 'optimizer.');
  if (optimizer.type === 'sgd' && optimizer.nesterov && (optimizer.momentum! <= 0 || optimizer.dampening !== 0)) {
    throw new OptionError('optimizer.nesterov', 'requires momentum > 0 and dampening 0 (as torch.optim.SGD)');
  }
  return optimizer;
}

/** Checks a schedule object; `iterations` bounds the warmup. */
export function resolveSchedule(value: unknown, iterations: number): ScheduleOptions {
  const schedule = resolveTable(scheduleOptionTable, objectField('schedule', value, '{ type: "step", stepSize: 1000 }'), 'schedule.');
  if (schedule.warmupIterations! > iterations) {
    throw new OptionError('schedule.warmupIterations', `must be an integer in [0, ${iterations}] (iterations), got ${schedule.warmupIterations}`);
  }
  if (schedule.type === 'step' && schedule.stepSize === undefined) throw new OptionError('schedule.stepSize', 'is required for the step schedule');
  if (schedule.type === 'multistep') {
    if (schedule.milestones === undefined) throw new OptionError('schedule.milestones', 'must be a non-empty array of iterations for the multistep schedule');
    if (schedule.milestones.some((m, i) => i > 0 && m <= schedule.milestones![i - 1])) {
      throw new OptionError('schedule.milestones', `must be strictly increasing, got ${JSON.stringify(schedule.milestones)}`);
    }
  }
  return schedule;
}

/** Training options as a caller gives them: any setting, plus a preset to start from. */
export type TrainSettingsInput = Partial<Omit<TrainSettings, 'distributed'>> & {
  /** Start from a preset's recipe (PRESET_DEFINITIONS): its training settings, and for a new model its model options. */
  preset?: PresetName;
  /** true: everything from torchrun's environment variables. */
  distributed?: DistributedOptions | true;
};

/**
 * Merges defaults, preset and overrides field by field, then validates. Optimizer fields override the preset's
 * one by one; a different optimizer type starts from that type's defaults.
 */
export function resolveTrainSettings(options: TrainSettingsInput): TrainSettings {
  const { preset: presetName, optimizer, schedule, shard, distributed, ...scalars } = options;
  const preset: Partial<TrainSettings> = presetName === undefined ? {} : presetNamed(presetName).train;
  const { optimizer: presetOptimizer, schedule: presetSchedule, ...presetScalars } = preset;
  const merged = resolveTable(trainOptionTable, { ...presetScalars, ...definedFields(scalars) }, '', 'train option');
  if (merged.resume !== undefined && merged.outDir === undefined) merged.outDir = merged.resume;
  const base = { ...(presetOptimizer ?? { type: 'sgd', lr: TRAIN_DEFAULTS.optimizer.lr }) } as Record<string, unknown>;
  const requested = optimizer === undefined ? undefined : objectField('optimizer', optimizer, '{ type: "sgd", lr: 0.01 }');
  const optimizerInput = requested && requested.type && requested.type !== base.type ? requested : { ...base, ...requested };
  const settings: TrainSettings = {
    ...merged,
    optimizer: resolveOptimizer(optimizerInput),
    schedule: resolveSchedule(schedule !== undefined ? schedule : presetSchedule ?? TRAIN_DEFAULTS.schedule, merged.iterations),
  };
  if (distributed !== undefined) {
    if (shard !== undefined) throw new OptionError('shard', 'a distributed run shards the data by rank itself; give one of shard and distributed');
    settings.distributed = resolveDistributed(distributed);
  }
  if (shard !== undefined) {
    settings.shard = resolveTable(shardOptionTable, objectField('shard', shard, '{ rank: 0, worldSize: 2 }'), 'shard.');
    if (settings.shard.rank >= settings.shard.worldSize) {
      throw new OptionError('shard.rank', `must be below worldSize ${settings.shard.worldSize}, got ${settings.shard.rank}`);
    }
  }
  return settings;
}

/** fp16 needs a CUDA model: CPU autocast (torch.autocast('cpu')) lowers to bf16 only. */
export function checkAmpDevice(field: string, amp: AmpMode, device: string): void {
  if (amp === 'fp16' && !device.startsWith('cuda')) {
    throw new OptionError(
      field,
      `'fp16' needs a CUDA device (CPU autocast supports bf16 only), but the model is on ${device}; valid values: false, 'bf16' (CPU and CUDA), 'fp16' (CUDA only)`,
    );
  }
}
