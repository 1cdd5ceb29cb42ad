// train() and evaluate(): the native training engine, driven from TS. The
// loop runs on a native thread; events arrive as plain objects.
import { Dataset, InMemoryDataset } from './data';
import { callNative, captureCallSite, withCallSite } from './errors';
import { Model, checkChannels, createModel } from './model';
import { EvalResult, NativeInMemoryDataset, NativeTrainResult, TrainEvent, native } from './native';

export type { EvalMetrics, EvalResult, TrainEvent } from './native';
import {
  EvaluateOptions, ModelOptions, OptionError, ResumePoint, TrainSettings, TrainSettingsInput, check, checkAmpDevice, describe, integerIn, knownKeys,
  presetNamed, resolveDistributed, resolveEvaluateOptions, resolveTrainSettings, resumedModelOptions, resumedSettings, trainOptionTable,
} from './options';
import { readResumePoint } from './checkpoint';
import { setThreads } from './runtime';

/** What a finished (or stopped) run reports. */
export interface TrainResult extends NativeTrainResult {
  model: Model;
  settings: TrainSettings;
}

export interface TrainOptions extends TrainSettingsInput {
  /**
   * A model to train in place, or options for a new one (default: the default model, or the preset's model: its
   * options, such as `fmnist-resnet18`'s arch and stem, under the ones given here). With `resume`, the model
   * comes from the checkpoint: options given here may set only its device, and a Model given here must have the
   * checkpoint's architecture.
   */
  model?: Model | ModelOptions;
  /** A Dataset from dataset(spec), or in-memory arrays. */
  data: { train: Dataset | InMemoryDataset; test?: Dataset | InMemoryDataset };
}

export interface TrainControl {
  onEvent?: (event: TrainEvent) => void;
  /** Stops at the next step boundary, writes a checkpoint and resolves with stopped: true. */
  signal?: AbortSignal;
}

/** Models inside a train() call: one run at a time per model. */
const training = new WeakSet<Model>();

/** An AbortSignal, also one from another realm (vm, jest): checked by its tag and methods. */
function isAbortSignal(value: unknown): value is AbortSignal {
  return Object.prototype.toString.call(value) === '[object AbortSignal]' && typeof (value as AbortSignal).addEventListener === 'function';
}

/** Every key train() accepts: the option tables' plus the model, the data and a preset. */
const TRAIN_KEYS = ['model', 'data', 'preset', ...Object.keys(trainOptionTable), 'optimizer', 'schedule', 'shard', 'distributed'];

/** A data-parallel process's model on 'cuda' goes to its own GPU, cuda:localRank (as torchrun's LOCAL_RANK). */
function localDevice(options: ModelOptions, settings: TrainSettings): Pick<ModelOptions, 'device'> {
  return settings.distributed && options.device === 'cuda' ? { device: `cuda:${settings.distributed.localRank}` } : {};
}

/**
 * The checkpoint a run with `resume` continues from, read before any native work so that its recorded settings
 * and model fill in what the caller leaves out. A data-parallel process other than rank 0 may run where the run
 * directory is not visible (rank 0 reads the checkpoint and shares it): it then needs the full options.
 */
function resumePoint(rest: TrainSettingsInput): ResumePoint | undefined {
  if (rest.resume === undefined) return undefined;
  const dir = check('resume', trainOptionTable.resume.rule, rest.resume);
  try {
    return readResumePoint(dir);
  } catch (error) {
    if (rest.distributed !== undefined && resolveDistributed(rest.distributed === true ? {} : rest.distributed).rank !== 0) return undefined;
    throw error;
  }
}

/** Checks a dataset against the model and converts it for the addon. */
export function prepareDataset(data: Dataset | InMemoryDataset, model: Model, field: string): NativeInMemoryDataset | object {
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
  checkChannels(`${field}.shape`, shape[1], inChannels);
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
  const out: NativeInMemoryDataset = { images, labels: intLabels, shape };
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
 * Events (step, eval, checkpoint, skip, end, and queued when another run of this process goes first) arrive in
 * order through `onEvent`. While it runs, `predict`, `evaluate`, `save` and `loadModel` calls are answered
 * between two training steps; a second `train()` waits for this one to end.
 */
export function train(options: TrainOptions, control: TrainControl = {}): Promise<TrainResult> {
  const callSite = captureCallSite(train);
  return withCallSite(callSite, async () => {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new OptionError('options', `must be an object, got ${describe(options)}`);
    if (control === null || typeof control !== 'object' || Array.isArray(control)) throw new OptionError('control', `must be an object like { onEvent, signal }, got ${describe(control)}`);
    knownKeys('', control, ['onEvent', 'signal'], 'control field');
    if (control.signal !== undefined && !isAbortSignal(control.signal)) throw new OptionError('signal', `must be an AbortSignal (new AbortController().signal), got ${describe(control.signal)}`);
    knownKeys('', options, TRAIN_KEYS, 'train option');
    const { model: modelOption, data, ...rest } = options;
    const point = resumePoint(rest);
    const settings = point ? resumedSettings(rest, point) : resolveTrainSettings(rest);
    if (!data || typeof data !== 'object' || !data.train) throw new OptionError('data.train', 'is required');
    if (modelOption !== undefined && !(modelOption instanceof Model) && (modelOption === null || typeof modelOption !== 'object' || Array.isArray(modelOption))) {
      throw new OptionError('model', `must be a Model or model options like { arch: 'resnet18' }, got ${describe(modelOption)}`);
    }
    if (settings.threads !== undefined) setThreads(settings.threads);
    let model: Model;
    if (modelOption instanceof Model) {
      if (point) resumedModelOptions(modelOption.options as unknown as Record<string, unknown>, point);
      model = modelOption;
    } else {
      // A new model starts from the preset's model (the options given override it); a resumed one is the checkpoint's.
      const modelOptions = point
        ? resumedModelOptions(modelOption as Record<string, unknown> | undefined, point)
        : { ...(rest.preset === undefined ? {} : presetNamed(rest.preset).model), ...modelOption };
      model = createModel({ seed: settings.seed, ...modelOptions, ...localDevice(modelOptions, settings) });
    }
    checkAmpDevice('amp', settings.amp, model.device);
    const nativeData = {
      train: prepareDataset(data.train, model, 'data.train'),
      test: data.test ? prepareDataset(data.test, model, 'data.test') : undefined,
    };
    const onEvent = control.onEvent;
    if (onEvent !== undefined && typeof onEvent !== 'function') throw new OptionError('onEvent', 'must be a function');
    if (training.has(model)) {
      throw new OptionError('model', 'is being trained by another train() call; a model trains in one run at a time (await or abort that run first)');
    }
    if (control.signal?.aborted) throw new OptionError('signal', 'was aborted before train() started: nothing was trained');

    const handle = callNative(train, () =>
      native().train(model.nativeHandle(), settings, nativeData, onEvent),
    );
    training.add(model);
    const abort = (): void => handle.stop();
    control.signal?.addEventListener('abort', abort, { once: true });
    try {
      const result = await handle.promise;
      return { ...result, model, settings };
    } finally {
      training.delete(model);
      control.signal?.removeEventListener('abort', abort);
    }
  });
}

/** Top-1/top-5, mean loss, per-class accuracy and confusion matrix in eval mode, off the JS thread. */
export function evaluate(model: Model, data: Dataset | InMemoryDataset, options: EvaluateOptions = {}): Promise<EvalResult> {
  const callSite = captureCallSite(evaluate);
  return withCallSite(callSite, async () => {
    const { batchSize, workers, amp, channelsLast } = resolveEvaluateOptions(options);
    checkAmpDevice('amp', amp, model.device);
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
