// The public Model: a thin, typed shell over the native model. Every call that
// does tensor work (predict, save, load) runs on a worker thread and returns a
// Promise; structural queries are synchronous and cheap.
import * as os from 'os';
import { callNative, captureCallSite, withCallSite } from './errors';
import { NativeModel, StageSummary, native } from './native';

export type { StageSummary } from './native';
import { exportOnnxFile } from './onnx/export';
import {
  ExportOnnxOptions, ModelOptions, OptionError, PredictOptions, ResolvedModelOptions, checkAmpDevice, integerIn, resolveExportOnnxOptions,
  resolveModelOptions, resolvePredictOptions, validateDevice,
} from './options';

export type { ExportOnnxOptions, PredictOptions } from './options';

export type Shape4 = [number, number, number, number];

export interface ModelSummary {
  options: ResolvedModelOptions;
  /** The [C, H, W] input the shapes were computed for. */
  inputShape: [number, number, number];
  stages: StageSummary[];
  totalParameters: number;
  /** The same as a printable table. */
  text: string;
}

export class Model {
  readonly options: ResolvedModelOptions;
  /** The device the weights live on (`cpu`, `cuda:0`, …), after resolving `auto`. */
  readonly device: string;
  #native: NativeModel | undefined;

  /** @internal Use createModel() or loadModel(). */
  constructor(handle: NativeModel, options: ResolvedModelOptions) {
    this.#native = handle;
    this.options = Object.freeze({ ...options });
    this.device = handle.options().resolvedDevice;
  }

  /** @internal The addon object, for train()/evaluate(). */
  nativeHandle(): NativeModel {
    return this.handle();
  }

  private handle(): NativeModel {
    if (!this.#native) throw new Error('this model has been disposed; create or load a new one');
    return this.#native;
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.handle().parameterCount();
  }

  /** state_dict keys in PyTorch's order (torchvision's names). */
  stateDictKeys(): string[] {
    return this.handle().stateDictKeys();
  }

  /**
   * Logits for a batch, in eval mode without autograd, computed off the JS thread. On CPU this runs
   * a prepared inference form (BatchNorm folded, oneDNN-prepacked weights, fused ReLU and residual
   * add; rebuilt after any weight change) whose logits equal eager PyTorch's to float32 rounding;
   * `{ exact: true }` runs the module's own forward, bit-identical to eager PyTorch.
   * @param input N×C×H×W float32 values, row-major (NCHW).
   * @returns N×numClasses logits, row-major.
   */
  predict(input: Float32Array, shape: Shape4, options: PredictOptions = {}): Promise<Float32Array> {
    const callSite = captureCallSite(this.predict);
    return withCallSite(callSite, async () => {
      const handle = this.handle();
      // Checked by tag, not instanceof, so arrays from another realm (vm, jest) are accepted.
      if (Object.prototype.toString.call(input) !== '[object Float32Array]') {
        throw new OptionError('input', 'must be a Float32Array of N×C×H×W values');
      }
      this.checkShape(shape);
      checkActivationMemory(this.options, shape);
      const expected = shape.reduce((a, b) => a * b, 1);
      if (input.length !== expected) {
        throw new OptionError(
          'input',
          `has ${input.length} values but shape [${shape.join(', ')}] needs ${expected}`,
        );
      }
      const settings = resolvePredictOptions(options);
      checkAmpDevice('amp', settings.amp, this.device);
      return handle.predict(input, shape, settings);
    });
  }

  /** [N, C, H, W] of positive integers with this model's channel count; throws OptionError naming the problem. */
  private checkShape(shape: Shape4): void {
    if (!Array.isArray(shape) || shape.length !== 4) {
      throw new OptionError('shape', `must be [N, C, H, W], got ${JSON.stringify(shape)}`);
    }
    shape.forEach((d, i) => integerIn(`shape[${i}]`, d, 1, 1e9));
    checkChannels('shape', shape[1], this.options.inChannels);
  }

  /** Writes the weights as safetensors (F32, I64 num_batches_tracked), atomically, with the model options in __metadata__. */
  save(path: string): Promise<void> {
    const callSite = captureCallSite(this.save);
    return withCallSite(callSite, async () => this.handle().save(checkPath(path)));
  }

  /**
   * Loads weights from a safetensors file (ours, or a torchvision state_dict saved as safetensors).
   * Strict: missing, unexpected or mis-shaped keys are an error and leave the model unchanged.
   */
  load(path: string): Promise<void> {
    const callSite = captureCallSite(this.load);
    return withCallSite(callSite, async () => this.handle().load(checkPath(path)));
  }

  /**
   * Writes the model as a standard ONNX graph (opset 13–21, default 17) for onnxruntime and other
   * ONNX engines: input `input` (N×C×H×W float32, NCHW), output `logits` (N×numClasses). The
   * weights are the current ones; BatchNorm uses its running statistics (eval mode), folded into
   * the convolutions unless `foldBatchNorm: false`. The file is written atomically.
   */
  exportOnnx(path: string, options: ExportOnnxOptions = {}): Promise<void> {
    const callSite = captureCallSite(this.exportOnnx);
    return withCallSite(callSite, async () => {
      const handle = this.handle();
      const settings = resolveExportOnnxOptions(options);
      return exportOnnxFile(checkPath(path), this.options, settings, (weights) => handle.save(weights));
    });
  }

  /** Per-stage output shapes and parameter counts for an input of `inputSize` [H, W] (default 224², or 32² for the cifar stem). */
  summary(inputSize?: [number, number]): ModelSummary {
    const [height, width] = inputSize ?? (this.options.stem === 'cifar' ? [32, 32] : [224, 224]);
    integerIn('inputSize[0]', height, 1, 1 << 20);
    integerIn('inputSize[1]', width, 1, 1 << 20);
    const stages = this.handle().summary(height, width);
    const totalParameters = stages.reduce((sum, s) => sum + s.parameters, 0);
    const inputShape: [number, number, number] = [this.options.inChannels, height, width];
    return { options: this.options, inputShape, stages, totalParameters, text: formatSummary(this.options, inputShape, stages, totalParameters) };
  }

  /** Frees the native weights now instead of at garbage collection. Later calls throw. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  get disposed(): boolean {
    return this.#native === undefined;
  }
}

/**
 * Refuses a batch whose first activation alone (N × 64 × H' × W' floats after the stem's first convolution)
 * would not fit in this machine's memory, before anything is allocated: such a shape would otherwise end in an
 * allocation failure at best, and in the kernel's OOM killer at worst.
 */
function checkActivationMemory(options: ResolvedModelOptions, shape: Shape4): void {
  const [n, , h, w] = shape;
  const stride = options.stem === 'imagenet' ? 2 : 1;
  const bytes = n * 64 * Math.ceil(h / stride) * Math.ceil(w / stride) * 4;
  if (bytes > os.totalmem()) {
    const gb = (b: number): string => `${(b / 1e9).toFixed(b < 1e10 ? 1 : 0)} GB`;
    throw new OptionError(
      'shape',
      `[${shape.join(', ')}] needs at least ${gb(bytes)} for its first activation (N × 64 × ${Math.ceil(h / stride)} × ${Math.ceil(w / stride)} floats), ` +
        `more than this machine's ${gb(os.totalmem())} of memory; predict smaller batches or images`,
    );
  }
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new OptionError('path', `must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  return path;
}

function formatSummary(
  options: ResolvedModelOptions,
  inputShape: number[],
  stages: StageSummary[],
  total: number,
): string {
  const header = `${options.arch} (stem ${options.stem}, attention ${options.attention}, r=${options.reduction}) input [${inputShape.join(', ')}]`;
  const rows = stages.map(
    (s) => `  ${s.name.padEnd(8)} ${`[${s.outputShape.join(', ')}]`.padEnd(18)} ${s.parameters.toLocaleString('en-US').padStart(12)}`,
  );
  return [header, `  ${'stage'.padEnd(8)} ${'output'.padEnd(18)} ${'parameters'.padStart(12)}`, ...rows, `  ${'total'.padEnd(27)} ${total.toLocaleString('en-US').padStart(12)}`].join('\n');
}

/** Builds a model with fresh weights (torchvision's init; deterministic with `seed`). */
export function createModel(options: ModelOptions = {}): Model {
  const resolved = resolveModelOptions(options);
  const Native = native().Model;
  return new Model(callNative(createModel, () => new Native({ ...resolved })), resolved);
}

/** Rebuilds a model from a safetensors file written by Model.save(): its __metadata__ holds the options. */
export function loadModel(path: string, options: { device?: string } = {}): Promise<Model> {
  const callSite = captureCallSite(loadModel);
  return withCallSite(callSite, async () => {
    const device = validateDevice(options.device ?? 'cpu');
    const handle = await native().loadModel(checkPath(path), device);
    const raw = handle.options();
    const resolved = resolveModelOptions({
      arch: raw.arch as ModelOptions['arch'],
      stem: raw.stem as ModelOptions['stem'],
      attention: raw.attention as ModelOptions['attention'],
      inChannels: raw.inChannels as number,
      numClasses: raw.numClasses as number,
      reduction: raw.reduction as number,
      device,
    });
    return new Model(handle, resolved);
  });
}

/**
 * Input of `channels` channels for a model of `inChannels`: the one owner of this rule and its message (predict,
 * in-memory training and test data). The native side checks only that nothing runs on a mismatch.
 */
export function checkChannels(field: string, channels: number, inChannels: number): void {
  if (channels !== inChannels) throw new OptionError(field, `has ${channels} channels but the model expects ${inChannels} (inChannels)`);
}
