// dataset(spec): datasets opened and scanned natively (IDX, CIFAR, ImageFolder,
// Tiny ImageNet) with torchvision-style transforms, for train() and evaluate().
import * as os from 'os';
import { captureCallSite, callNative, withCallSite } from './errors';
import { DatasetInfo, NativeDataset, native } from './native';

export type { DatasetInfo } from './native';

/** Training or test data held in memory, handed to the addon without a file. */
export interface InMemoryDataset {
  /** N×C×H×W values, NCHW row-major: bytes 0–255 (scaled by 1/255) or float32 used as is. */
  images: Uint8Array | Float32Array;
  /** One class index per image, 0 ≤ label < numClasses. */
  labels: ArrayLike<number>;
  shape: [number, number, number, number];
  /** Per-channel normalization applied after scaling: (x − mean) / std. */
  normalize?: { mean: number[]; std: number[] };
}
import { OptionError, integerIn, oneOf } from './options';

/** Debian's dataset-fashion-mnist install: the default real dataset, no download. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const NORMALIZE_PRESETS = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  'fashion-mnist': { mean: [0.286], std: [0.353] },
} as const;

type Size = number | [number, number];

export type Transform =
  | { type: 'randomCrop'; size: Size; padding?: number }
  | { type: 'randomResizedCrop'; size: Size; scale?: [number, number]; ratio?: [number, number] }
  /** A number resizes the shorter side (aspect kept); [h, w] resizes exactly. Bilinear, antialiased. */
  | { type: 'resize'; size: Size }
  | { type: 'centerCrop'; size: Size }
  | { type: 'hflip'; p?: number }
  | { type: 'grayscaleToRgb' }
  | { type: 'normalize'; preset?: keyof typeof NORMALIZE_PRESETS; mean?: number[]; std?: number[] };

interface Common {
  /** Applied in order to each sample; random choices depend only on (seed, epoch, index). */
  transforms?: Transform[];
}

export type DatasetSpec =
  | 'fashion-mnist'
  | ({ type: 'fashion-mnist'; split?: 'train' | 'test' } & Common)
  | ({ type: 'idx'; dir: string; split?: 'train' | 'test' } & Common)
  | ({ type: 'cifar10'; dir: string; split?: 'train' | 'test' } & Common)
  | ({ type: 'cifar100'; dir: string; split?: 'train' | 'test'; labels?: 'fine' | 'coarse' } & Common)
  | ({ type: 'imagefolder'; root: string; channels?: 1 | 3; onBadSample?: 'error' | 'skip' } & Common)
  | ({ type: 'tiny-imagenet'; dir: string; split?: 'train' | 'val'; channels?: 1 | 3; onBadSample?: 'error' | 'skip' } & Common)
  /** Deterministic class-dependent patterns plus noise, for tests and smoke runs. */
  | ({ type: 'synthetic'; size: number; classes?: number; channels?: number; height?: number; width?: number; seed?: number } & Common);

export interface LoaderOptions {
  batchSize: number;
  seed?: number;
  workers?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** shard(rank, worldSize): each process of a distributed run sees a disjoint slice. */
  rank?: number;
  worldSize?: number;
}

export class Dataset implements DatasetInfo {
  readonly type!: string;
  readonly location!: string;
  readonly size!: number;
  readonly classNames!: string[];
  readonly classCounts!: number[];
  readonly imageShape!: number[];
  readonly sampleShape!: number[];
  readonly skipped!: number;
  readonly skippedExamples!: string[];
  readonly #handle: NativeDataset;

  /** @internal Use dataset(spec). */
  constructor(handle: NativeDataset) {
    this.#handle = handle;
    Object.assign(this, handle.info());
  }

  get numClasses(): number {
    return this.classNames.length;
  }

  /** @internal */
  nativeHandle(): NativeDataset {
    return this.#handle;
  }

  /** One transformed sample (float C×H×W) and its label, as the loader would produce it at `epoch`. */
  sample(index: number, options: { seed?: number; epoch?: number } = {}): { image: Float32Array; shape: number[]; label: number } {
    integerIn('index', index, 0, this.size - 1);
    return callNative(this.sample, () => this.#handle.sample(index, integerIn('seed', options.seed ?? 0, 0), integerIn('epoch', options.epoch ?? 0, 0)));
  }

  /**
   * The batch of `iteration` as the training loader builds it (after `count - 1` earlier ones, for timing).
   * Off the JS thread.
   */
  batch(options: LoaderOptions, iteration = 0, count = 1): Promise<{ images: Float32Array; shape: number[]; labels: number[]; seconds: number }> {
    const callSite = captureCallSite(this.batch);
    return withCallSite(callSite, async () => {
      integerIn('batchSize', options.batchSize, 1);
      integerIn('workers', options.workers ?? 0, 0, 64);
      integerIn('count', count, 1);
      return this.#handle.batch(options, integerIn('iteration', iteration, 0), count);
    });
  }
}

function resolveTransforms(transforms: unknown): object[] {
  if (transforms === undefined) return [];
  if (!Array.isArray(transforms)) throw new OptionError('transforms', 'must be an array of transform objects');
  return transforms.map((t: Transform, i) => {
    const field = `transforms[${i}]`;
    if (t === null || typeof t !== 'object') throw new OptionError(field, 'must be an object with a type');
    oneOf(`${field}.type`, t.type, ['randomCrop', 'randomResizedCrop', 'resize', 'centerCrop', 'hflip', 'grayscaleToRgb', 'normalize'] as const);
    if ('size' in t) {
      const sizes = Array.isArray(t.size) ? t.size : [t.size];
      if (sizes.length < 1 || sizes.length > 2) throw new OptionError(`${field}.size`, 'must be a number or [height, width]');
      sizes.forEach((s, k) => integerIn(`${field}.size${Array.isArray(t.size) ? `[${k}]` : ''}`, s, 1, 1 << 15));
    }
    if (t.type === 'normalize') {
      const preset = t.preset === undefined ? undefined : NORMALIZE_PRESETS[oneOf(`${field}.preset`, t.preset, Object.keys(NORMALIZE_PRESETS) as (keyof typeof NORMALIZE_PRESETS)[])];
      const mean = t.mean ?? preset?.mean;
      const std = t.std ?? preset?.std;
      if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || mean.length === 0) {
        throw new OptionError(field, `normalize needs a preset (${Object.keys(NORMALIZE_PRESETS).join(', ')}) or mean and std arrays of equal length`);
      }
      return { type: 'normalize', mean: [...mean], std: [...std] };
    }
    return { ...t };
  });
}

function required(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new OptionError(field, 'must be a directory path');
  return value;
}

/** Spec → the plain object the addon reads. */
export function resolveDatasetSpec(spec: DatasetSpec): Record<string, unknown> {
  if (spec === 'fashion-mnist') spec = { type: 'fashion-mnist' };
  if (spec === null || typeof spec !== 'object') {
    throw new OptionError('spec', `must be 'fashion-mnist' or an object with a type (idx, cifar10, cifar100, imagefolder, tiny-imagenet, synthetic)`);
  }
  const type = oneOf('type', spec.type, ['fashion-mnist', 'idx', 'cifar10', 'cifar100', 'imagefolder', 'tiny-imagenet', 'synthetic'] as const);
  const transforms = resolveTransforms(spec.transforms);
  const s = spec as unknown as Record<string, unknown>;
  switch (type) {
    case 'fashion-mnist':
    case 'idx':
    case 'cifar10':
      return {
        type: type === 'fashion-mnist' ? 'idx' : type,
        path: type === 'fashion-mnist' ? FASHION_MNIST_DIR : required('dir', s.dir),
        split: oneOf('split', s.split ?? 'train', ['train', 'test'] as const),
        transforms,
      };
    case 'cifar100':
      return {
        type, path: required('dir', s.dir), split: oneOf('split', s.split ?? 'train', ['train', 'test'] as const),
        labels: oneOf('labels', s.labels ?? 'fine', ['fine', 'coarse'] as const), transforms,
      };
    case 'synthetic': {
      const synthetic = {
        type, transforms,
        size: integerIn('size', s.size, 1, 10_000_000),
        classes: integerIn('classes', s.classes ?? 10, 1, 100_000),
        channels: integerIn('channels', s.channels ?? 3, 1, 64),
        height: integerIn('height', s.height ?? 32, 1, 4096),
        width: integerIn('width', s.width ?? 32, 1, 4096),
        seed: integerIn('seed', s.seed ?? 0, 0),
      };
      // Generated in memory: uint8 images plus float32 temporaries of the same shape while generating.
      const values = synthetic.size * synthetic.channels * synthetic.height * synthetic.width;
      const bytes = values * SYNTHETIC_BYTES_PER_VALUE;
      if (bytes > os.totalmem()) {
        throw new OptionError('size', `${synthetic.size} images of ${synthetic.channels}×${synthetic.height}×${synthetic.width} need about ${(bytes / 1e9).toFixed(0)} GB ` +
          `while they are generated, more than this machine's ${(os.totalmem() / 1e9).toFixed(0)} GB of memory; use fewer or smaller images`);
      }
      return synthetic;
    }
    case 'imagefolder':
    case 'tiny-imagenet':
      return {
        type,
        path: type === 'imagefolder' ? required('root', s.root) : required('dir', s.dir),
        split: type === 'tiny-imagenet' ? oneOf('split', s.split ?? 'train', ['train', 'val'] as const) : 'train',
        channels: channelsOf(s.channels),
        onBadSample: oneOf('onBadSample', s.onBadSample ?? 'error', ['error', 'skip'] as const),
        transforms,
      };
  }
}

/** Peak bytes per value while a synthetic dataset is generated: the uint8 images and three float32 temporaries. */
const SYNTHETIC_BYTES_PER_VALUE = 13;

function channelsOf(value: unknown): number {
  if (value === undefined) return 3;
  if (value !== 1 && value !== 3) throw new OptionError('channels', `must be 1 or 3, got ${JSON.stringify(value)}`);
  return value;
}

/** Opens and scans a dataset off the JS thread; bad files are reported now, naming the file (and offset). */
export function dataset(spec: DatasetSpec): Promise<Dataset> {
  const callSite = captureCallSite(dataset);
  return withCallSite(callSite, async () => {
    const resolved = resolveDatasetSpec(spec);
    return new Dataset(await native().openDataset(resolved));
  });
}
