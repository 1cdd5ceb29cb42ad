// Resuming a run: the settings a checkpoint recorded become the run's
// settings, and what a caller gives beside `resume` may change only what
// keeps the run the same run (a longer run, another learning rate or
// schedule, and how it runs: logging, checkpoints, threads, loaders). A
// change to anything that decides the data order, the optimizer's state or
// the model is refused, naming the field.
import { ResolvedModelOptions, resolveModelOptions } from './model';
import {
  OptimizerOptions, PRESETS, PresetName, TrainSettings, TrainSettingsInput, adamwOptionTable, resolveTrainSettings, scheduleOptionTable,
  sgdOptionTable, trainOptionTable,
} from './train';
import { resolveTable } from './table';
import { OptionError, definedFields, describe, rules } from './validate';

/** Where a resumed run starts: its latest checkpoint and what it recorded. */
export interface ResumePoint {
  /** The checkpoint directory (`<run>/checkpoints/iter-NNNNNNNN`). */
  checkpoint: string;
  /** Completed iterations in the checkpoint. */
  iteration: number;
  /** Processes of the run that wrote it (1 unless data-parallel). Each process's data order depends on it. */
  worldSize: number;
  /** The run's settings as the checkpoint recorded them (without outDir, resume and distributed, which belong to the new process). */
  settings: TrainSettings;
  /** The model the checkpoint holds (the options its weights file records). */
  model: Pick<ResolvedModelOptions, 'arch' | 'stem' | 'attention' | 'inChannels' | 'numClasses' | 'reduction'>;
}

/**
 * Settings a resumed run may change. The data order (batchSize, seed, shuffle, dropLast, shard), the optimizer
 * and its state (every optimizer field but lr), the loss (labelSmoothing) and mixed precision (amp, which decides
 * whether a loss scaler's state exists) stay as recorded.
 */
export const RESUME_MAY_CHANGE = [
  'iterations', 'optimizer.lr', 'schedule',
  'outDir', 'logEvery', 'evalEvery', 'evalBatchSize', 'checkpointEvery', 'keepCheckpoints', 'skipNonFinite',
  'workers', 'prefetch', 'threads', 'channelsLast', 'cudnnBenchmark',
] as const;

/** Model options a resumed run may change: the weights come from the checkpoint, only their device is free. */
export const RESUME_MODEL_MAY_CHANGE = ['device', 'seed', 'zeroInitResidual'] as const;

const MAY_CHANGE_TEXT = 'iterations (at least the checkpoint\'s), the learning rate (optimizer.lr), the schedule, and outDir, logEvery, evalEvery, ' +
  'evalBatchSize, checkpointEvery, keepCheckpoints, skipNonFinite, workers, prefetch, threads, channelsLast, cudnnBenchmark';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function pick(source: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined && source[k] !== null).map((k) => [k, source[k]]));
}

/**
 * The settings input a checkpoint's `state.json` recorded (the native TrainOptions as JSON: every field of both
 * optimizers, every schedule field), reduced to what `resolveTrainSettings` takes. Throws naming `source` when
 * the record is not a run's options.
 */
export function recordedSettings(options: unknown, source: string): TrainSettings {
  if (!isObject(options)) throw new Error(`resume: ${source} records no training options; resume with a run directory written by senet-lab`);
  const scalarKeys = Object.keys(trainOptionTable).filter((k) => !['outDir', 'resume', 'threads'].includes(k));
  const input: Json = pick(options, scalarKeys);
  // The native reader has type-checked the recorded optimizer and process count (native/train/checkpoint_state.h).
  const optimizer = isObject(options.optimizer) ? options.optimizer : {};
  const type = optimizer.type === 'adamw' ? 'adamw' : 'sgd';
  input.optimizer = pick(optimizer, Object.keys(type === 'adamw' ? adamwOptionTable : sgdOptionTable));
  const schedule = isObject(options.schedule) ? options.schedule : {};
  const scheduleKeys = Object.keys(scheduleOptionTable).filter((k) =>
    (k !== 'stepSize' || schedule.type === 'step') && (k !== 'milestones' || schedule.type === 'multistep'));
  input.schedule = pick(schedule, scheduleKeys);
  const shard = isObject(options.shard) ? options.shard : undefined;
  if (shard && (shard.worldSize !== 1 || shard.rank !== 0)) input.shard = pick(shard, ['rank', 'worldSize']);
  try {
    return resolveTrainSettings(input as TrainSettingsInput);
  } catch (error) {
    throw new Error(`resume: ${source} records options this version cannot read (${(error as Error).message})`);
  }
}

/** `given` with a preset expanded into fields (the given fields win), as resolveTrainSettings merges them. */
function expandPreset(given: TrainSettingsInput): Omit<TrainSettingsInput, 'preset'> {
  const { preset, ...rest } = given;
  if (preset === undefined) return rest;
  const name = resolveTable({ preset: { rule: rules.oneOf(Object.keys(PRESETS) as PresetName[]), help: '' } }, { preset }).preset;
  const { optimizer, schedule, ...scalars } = PRESETS[name];
  const givenOptimizer = isObject(rest.optimizer) ? rest.optimizer : undefined;
  return {
    ...scalars,
    ...definedFields(rest),
    optimizer: givenOptimizer && givenOptimizer.type !== undefined && givenOptimizer.type !== optimizer.type
      ? rest.optimizer
      : ({ ...optimizer, ...givenOptimizer } as OptimizerOptions),
    schedule: rest.schedule ?? schedule,
  };
}

/** Leaf values of a settings object by dotted path (arrays and `schedule` compared whole). */
function leaves(value: Json, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    const path = `${prefix}${key}`;
    if (isObject(v) && path !== 'schedule' && path !== 'shard') {
      for (const [p, leaf] of leaves(v, `${path}.`)) out.set(p, leaf);
    } else {
      out.set(path, v);
    }
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The settings of a resumed run: the checkpoint's, overridden by what `given` sets. Throws an OptionError naming
 * the first field that `given` changes but a resumed run may not, or iterations below the checkpoint's.
 */
export function resumedSettings(given: TrainSettingsInput, point: ResumePoint): TrainSettings {
  const expanded = expandPreset(given);
  const { optimizer, schedule, shard, distributed, ...scalars } = expanded;
  const recorded = point.settings;
  const givenOptimizer = optimizer === undefined ? undefined : isObject(optimizer) ? optimizer : undefined;
  if (optimizer !== undefined && givenOptimizer === undefined) resolveTrainSettings({ optimizer }); // throws the usual message
  const mergedOptimizer = givenOptimizer && givenOptimizer.type !== undefined && givenOptimizer.type !== recorded.optimizer.type
    ? givenOptimizer
    : { ...recorded.optimizer, ...definedFields(givenOptimizer ?? {}) };
  const { optimizer: _o, schedule: recordedSchedule, shard: recordedShard, distributed: _d, outDir: _out, resume: _r, ...recordedScalars } = recorded;
  const settings = resolveTrainSettings({
    ...recordedScalars,
    ...definedFields(scalars),
    optimizer: mergedOptimizer as OptimizerOptions,
    schedule: schedule ?? recordedSchedule,
    shard: shard ?? recordedShard,
    distributed,
  });
  const before = leaves({ ...recorded, shard: recorded.shard ?? null } as unknown as Json);
  const after = leaves({ ...settings, shard: settings.shard ?? null } as unknown as Json);
  const mayChange = (path: string): boolean => (RESUME_MAY_CHANGE as readonly string[]).includes(path) || path.startsWith('distributed.');
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    if (mayChange(path) || path === 'resume' || path === 'distributed' || path === 'outDir') continue;
    if (!same(before.get(path), after.get(path))) {
      throw new OptionError(
        path,
        `cannot change when resuming: the checkpoint ${point.checkpoint} was written with ${describe(before.get(path) ?? null)}, got ${describe(after.get(path) ?? null)}. ` +
          `A resumed run may change only ${MAY_CHANGE_TEXT}; start a new run to change ${path}`,
      );
    }
  }
  const worldSize = settings.distributed?.worldSize ?? 1;
  if (worldSize !== point.worldSize) {
    throw new OptionError('distributed.worldSize', `must be ${point.worldSize} when resuming: the checkpoint ${point.checkpoint} was written by ` +
      `${point.worldSize} process(es), got ${worldSize}; resume with the same number of processes (the data order depends on it)`);
  }
  if (settings.iterations < point.iteration) {
    throw new OptionError('iterations', `must be at least ${point.iteration} when resuming: the checkpoint ${point.checkpoint} is at iteration ${point.iteration}, got ${settings.iterations}`);
  }
  return settings;
}

/**
 * The model options of a resumed run: the checkpoint's, with `given`'s device (and its init seed, which the
 * checkpoint's weights make moot). Throws an OptionError naming a field that `given` sets to another value.
 */
export function resumedModelOptions(given: Json | undefined, point: ResumePoint, field = 'model'): ResolvedModelOptions {
  const requested = given === undefined ? {} : given;
  const resolved = resolveModelOptions({ ...point.model, ...definedFields(requested) } as never);
  for (const key of Object.keys(point.model) as (keyof ResumePoint['model'])[]) {
    if (requested[key] !== undefined && resolved[key] !== point.model[key]) {
      throw new OptionError(
        `${field}.${key}`,
        `cannot change when resuming: the checkpoint ${point.checkpoint} holds a model with ${key} ${describe(point.model[key])}, got ${describe(requested[key])}; ` +
          `only ${RESUME_MODEL_MAY_CHANGE.join(', ')} may differ`,
      );
    }
  }
  return resolved;
}
