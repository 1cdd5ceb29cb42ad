// train() and evaluate(): the native training engine, driven from TS. The
// loop runs on a native thread; events arrive as plain objects.
import { Dataset } from './data';
import { callNative, captureCallSite, withCallSite } from './errors';
import { Model, createModel } from './model';
import { native } from './native';
import { ModelOptions, OptionError, integerIn } from './options';
import { setThreads } from './runtime';
import { AmpMode, InMemoryDataset, PresetName, TrainSettings, checkAmpDevice, resolveTrainSettings, validateAmp } from './train-options';

export interface EvalMetrics {
  /** Percent of samples whose top prediction is the label. */
  top1: number;
  /** Percent whose label is among the top min(5, numClasses) predictions (torchvision's reference definition). */
  top5: number;
  /** Mean cross-entropy (no label smoothing). */
  loss: number;
  count: number;
  /** Percent per class; null for a class absent from the data. */
  perClassAccuracy: (number | null)[];
}

export interface EvalResult extends EvalMetrics {
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

export type TrainEvent =
  | { type: 'step'; iteration: number; epoch: number; loss: number; lr: number; imagesPerSecond: number }
  | ({ type: 'eval'; iteration: number; epoch: number } & EvalMetrics)
  | { type: 'checkpoint'; iteration: number; epoch: number; path: string }
  | { type: 'skip'; iteration: number; epoch: number; loss: number; lr: number }
  | { type: 'end'; iteration: number; epoch: number; path?: string };

export interface TrainResult {
  model: Model;
  /** Metrics of the last evaluation (null without test data or when stopped before any). */
  finalEval: EvalResult | null;
  bestEval: EvalMetrics | null;
  bestIteration: number;
  /** Completed iterations, counting those done before a resume. */
  iterations: number;
  startIteration: number;
  wallSeconds: number;
  imagesPerSecond: number;
  /** true when an AbortSignal stopped the run (a checkpoint was written if outDir is set). */
  stopped: boolean;
  skippedBatches: number;
  paths: { checkpoint: string | null; weights: string | null; metrics: string | null };
  settings: TrainSettings;
}

export interface TrainOptions extends Partial<Omit<TrainSettings, 'outDir'>> {
  /** A model to train in place, or options for a new one. */
  model: Model | ModelOptions;
  /** A Dataset from dataset(spec), or in-memory arrays. */
  data: { train: Dataset | InMemoryDataset; test?: Dataset | InMemoryDataset };
  /** Loader threads that decode and transform ahead (0: on the training thread). */
  workers?: number;
  /** Batches ready ahead, per worker. */
  prefetch?: number;
  /** Train on this process's slice of the data (distributed runs). */
  shard?: { rank: number; worldSize: number };
  /** Start from a recipe; every other field overrides it. */
  preset?: PresetName;
  outDir?: string;
  /** Continue the run in this directory from its latest checkpoint (outDir defaults to it). */
  resume?: string;
  /** Intra-op threads for this process (default: all cores). */
  threads?: number;
}

export interface TrainControl {
  onEvent?: (event: TrainEvent) => void;
  /** Stops at the next step boundary, writes a checkpoint and resolves with stopped: true. */
  signal?: AbortSignal;
}

interface NativeDataset {
  images: Uint8Array | Float32Array;
  labels: Int32Array;
  shape: number[];
  mean?: number[];
  std?: number[];
}

const TRAIN_KEYS = [
  'model', 'data', 'preset', 'outDir', 'resume', 'threads', 'iterations', 'batchSize', 'optimizer', 'schedule',
  'labelSmoothing', 'logEvery', 'evalEvery', 'evalBatchSize', 'checkpointEvery', 'keepCheckpoints', 'seed',
  'shuffle', 'dropLast', 'skipNonFinite', 'workers', 'prefetch', 'shard', 'amp', 'channelsLast', 'cudnnBenchmark',
];

/** Checks a dataset against the model and converts it for the addon. */
export function prepareDataset(data: Dataset | InMemoryDataset, model: Model, field: string): NativeDataset | object {
  if (data instanceof Dataset) {
    if (data.sampleShape[0] !== model.options.inChannels) {
      throw new OptionError(field, `gives ${data.sampleShape[0]}-channel samples but the model expects ${model.options.inChannels} (inChannels; add a grayscaleToRgb transform or set channels)`);
    }
    if (data.numClasses > model.options.numClasses) {
      throw new OptionError(field, `has ${data.numClasses} classes but the model has numClasses ${model.options.numClasses}`);
    }
    return data.nativeHandle();
  }
  if (data === null || typeof data !== 'object') throw new OptionError(field, 'must be { images, labels, shape }');
  const { images, labels, shape } = data;
  const tag = Object.prototype.toString.call(images);
  if (tag !== '[object Uint8Array]' && tag !== '[object Float32Array]') {
    throw new OptionError(`${field}.images`, 'must be a Uint8Array (0–255) or a Float32Array');
  }
  if (!Array.isArray(shape) || shape.length !== 4) throw new OptionError(`${field}.shape`, 'must be [N, C, H, W]');
  shape.forEach((d, i) => integerIn(`${field}.shape[${i}]`, d, 1));
  const expected = shape[0] * shape[1] * shape[2] * shape[3];
  if (images.length !== expected) {
    throw new OptionError(`${field}.images`, `has ${images.length} values but shape [${shape.join(', ')}] needs ${expected}`);
  }
  const { inChannels, numClasses } = model.options;
  if (shape[1] !== inChannels) {
    throw new OptionError(`${field}.shape`, `has ${shape[1]} channels but the model expects ${inChannels} (inChannels)`);
  }
  if (!labels || labels.length !== shape[0]) {
    throw new OptionError(`${field}.labels`, `must have one label per image (${shape[0]}), got ${labels?.length}`);
  }
  const intLabels = Int32Array.from(labels as ArrayLike<number>);
  for (let i = 0; i < intLabels.length; i++) {
    if (intLabels[i] !== labels[i] || intLabels[i] < 0 || intLabels[i] >= numClasses) {
      throw new OptionError(
        `${field}.labels`,
        `label ${labels[i]} at index ${i} is outside [0, ${numClasses - 1}] for numClasses ${numClasses}`,
      );
    }
  }
  const out: NativeDataset = { images, labels: intLabels, shape };
  if (data.normalize) {
    const { mean, std } = data.normalize;
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== inChannels || std.length !== inChannels) {
      throw new OptionError(`${field}.normalize`, `needs mean and std arrays of ${inChannels} values (one per channel)`);
    }
    std.forEach((s, i) => {
      if (!(s > 0)) throw new OptionError(`${field}.normalize.std[${i}]`, 'must be > 0');
    });
    out.mean = mean;
    out.std = std;
  }
  return out;
}

/**
 * Trains a model on in-memory data in native code, off the JS thread.
 * Events (step, eval, checkpoint, skip, end) arrive in order through `onEvent`.
 */
export function train(options: TrainOptions, control: TrainControl = {}): Promise<TrainResult> {
  const callSite = captureCallSite(train);
  return withCallSite(callSite, async () => {
    if (options === null || typeof options !== 'object') throw new OptionError('options', 'must be an object');
    for (const key of Object.keys(options)) {
      if (!TRAIN_KEYS.includes(key)) throw new OptionError(key, `unknown train option; valid: ${TRAIN_KEYS.join(', ')}`);
    }
    const { model: modelOption, data, resume, threads, workers, prefetch, shard, ...rest } = options;
    const loader = {
      workers: integerIn('workers', workers ?? 0, 0, 64),
      prefetch: integerIn('prefetch', prefetch ?? 2, 1, 64),
      worldSize: integerIn('shard.worldSize', shard?.worldSize ?? 1, 1),
      rank: integerIn('shard.rank', shard?.rank ?? 0, 0),
    };
    if (loader.rank >= loader.worldSize) throw new OptionError('shard.rank', `must be below worldSize ${loader.worldSize}, got ${loader.rank}`);
    const settings = resolveTrainSettings({ ...rest, outDir: rest.outDir ?? resume });
    if (resume !== undefined && (typeof resume !== 'string' || resume === '')) {
      throw new OptionError('resume', 'must be the run directory to continue');
    }
    if (!data || typeof data !== 'object' || !data.train) throw new OptionError('data.train', 'is required');
    if (threads !== undefined) setThreads(threads);
    const model = modelOption instanceof Model ? modelOption : createModel({ seed: settings.seed, ...modelOption });
    checkAmpDevice('amp', settings.amp, model.device);
    const nativeData = {
      train: prepareDataset(data.train, model, 'data.train'),
      test: data.test ? prepareDataset(data.test, model, 'data.test') : undefined,
    };
    if (control.signal?.aborted) throw new Error('train: the AbortSignal was already aborted');
    const onEvent = control.onEvent;
    if (onEvent !== undefined && typeof onEvent !== 'function') throw new OptionError('onEvent', 'must be a function');

    const handle = callNative(train, () =>
      native().train(model.nativeHandle(), { ...settings, ...loader, resume: resume !== undefined }, nativeData, onEvent),
    );
    const abort = (): void => handle.stop();
    control.signal?.addEventListener('abort', abort, { once: true });
    try {
      const result = await handle.promise;
      return { ...result, model, settings };
    } finally {
      control.signal?.removeEventListener('abort', abort);
    }
  });
}

export interface EvaluateOptions {
  batchSize?: number;
  workers?: number;
  /** Autocast dtype for the forward pass (CUDA only); default false. */
  amp?: AmpMode;
  /** channels_last batches; default false. */
  channelsLast?: boolean;
}

/** Top-1/top-5, mean loss, per-class accuracy and confusion matrix in eval mode, off the JS thread. */
export function evaluate(model: Model, data: Dataset | InMemoryDataset, options: EvaluateOptions = {}): Promise<EvalResult> {
  const callSite = captureCallSite(evaluate);
  return withCallSite(callSite, async () => {
    const batchSize = integerIn('batchSize', options.batchSize ?? 256, 1, 1 << 20);
    const workers = integerIn('workers', options.workers ?? 0, 0, 64);
    const amp = validateAmp('amp', options.amp ?? false);
    checkAmpDevice('amp', amp, model.device);
    const channelsLast = options.channelsLast ?? false;
    if (typeof channelsLast !== 'boolean') throw new OptionError('channelsLast', `must be true or false, got ${JSON.stringify(channelsLast)}`);
    return native().evaluate(model.nativeHandle(), prepareDataset(data, model, 'data'), batchSize, workers, { amp, channelsLast });
  });
}

/** The learning rate used at each of the first `count` iterations under these settings (for checks and plots). */
export function learningRates(
  options: Pick<TrainOptions, 'iterations' | 'optimizer' | 'schedule' | 'preset'>,
  count?: number,
): Float64Array {
  const settings = resolveTrainSettings(options);
  const n = integerIn('count', count ?? settings.iterations, 0);
  return callNative(learningRates, () => native().learningRates(settings, n));
}
