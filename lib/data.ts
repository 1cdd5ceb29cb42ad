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
    // The native transform reads size as [s] (shorter side) or [h, w] (native/data/transforms.h TransformSpec).
    return 'size' in t ? { ...t, size: Array.isArray(t.size) ? [...t.size] : [t.size] } : { ...t };
  });
}

function required(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new OptionError(field, 'must be a directory path');
  return value;
}

/** A spec field's rule: the value (undefined when left out) → what the native spec gets, or an OptionError. */
type FieldRule = (field: string, value: unknown) => unknown;

const choice = <T extends string>(values: readonly T[], fallback: T): FieldRule => (field, value) => oneOf(field, value ?? fallback, values);
const integer = (min: number, max: number, fallback?: number): FieldRule => (field, value) => integerIn(field, value ?? fallback, min, max);
const channels: FieldRule = (field, value) => {
  if (value === undefined) return 3;
  if (value !== 1 && value !== 3) throw new OptionError(field, `must be 1 or 3, got ${JSON.stringify(value)}`);
  return value;
};

interface DatasetType {
  /** The reader it opens natively (default: the type's own name). */
  reader?: string;
  /** Where the files are: the spec field holding the path, or a fixed location (none for generated data). */
  location?: { field: 'dir' | 'root' } | { fixed: string };
  /** Its other spec fields; each reaches the native spec (native/data/data_formats.h DataSpec) under its own name. */
  fields: Record<string, FieldRule>;
  /** A check across fields, on the resolved spec. */
  check?: (resolved: Record<string, unknown>) => void;
}

const trainTest = choice(['train', 'test'] as const, 'train');
const badSample = choice(['error', 'skip'] as const, 'error');

/**
 * Every dataset type and its fields: the one table resolveDatasetSpec reads (the `DatasetSpec` union above is
 * its typed face), and test/unit/native-structs.test.ts compares with the native spec's field list.
 */
export const DATASET_TYPES: Readonly<Record<string, DatasetType>> = {
  'fashion-mnist': { reader: 'idx', location: { fixed: FASHION_MNIST_DIR }, fields: { split: trainTest } },
  idx: { location: { field: 'dir' }, fields: { split: trainTest } },
  cifar10: { location: { field: 'dir' }, fields: { split: trainTest } },
  cifar100: { location: { field: 'dir' }, fields: { split: trainTest, labels: choice(['fine', 'coarse'] as const, 'fine') } },
  imagefolder: { location: { field: 'root' }, fields: { channels, onBadSample: badSample } },
  'tiny-imagenet': { location: { field: 'dir' }, fields: { split: choice(['train', 'val'] as const, 'train'), channels, onBadSample: badSample } },
  synthetic: {
    fields: {
      size: integer(1, 10_000_000), classes: integer(1, 100_000, 10), channels: integer(1, 64, 3),
      height: integer(1, 4096, 32), width: integer(1, 4096, 32), seed: integer(0, Number.MAX_SAFE_INTEGER, 0),
    },
    check: checkSyntheticMemory,
  },
};

/** Spec → the plain object the addon reads (its fields are DataSpec's, native/data/data_formats.h). */
export function resolveDatasetSpec(spec: DatasetSpec): Record<string, unknown> {
  if (spec === 'fashion-mnist') spec = { type: 'fashion-mnist' };
  const types = Object.keys(DATASET_TYPES);
  if (spec === null || typeof spec !== 'object') {
    throw new OptionError('spec', `must be 'fashion-mnist' or an object with a type (${types.filter((t) => t !== 'fashion-mnist').join(', ')})`);
  }
  const type = oneOf('type', spec.type, types);
  const transforms = resolveTransforms(spec.transforms);
  const given = spec as unknown as Record<string, unknown>;
  const { reader, location, fields, check } = DATASET_TYPES[type];
  const resolved: Record<string, unknown> = { type: reader ?? type };
  if (location) resolved.path = 'fixed' in location ? location.fixed : required(location.field, given[location.field]);
  for (const [field, rule] of Object.entries(fields)) resolved[field] = rule(field, given[field]);
  check?.(resolved);
  resolved.transforms = transforms;
  return resolved;
}

/** Peak bytes per value while a synthetic dataset is generated: the uint8 images and three float32 temporaries. */
const SYNTHETIC_BYTES_PER_VALUE = 13;

function checkSyntheticMemory(spec: Record<string, unknown>): void {
  const [size, channels, height, width] = [spec.size, spec.channels, spec.height, spec.width] as number[];
  const bytes = size * channels * height * width * SYNTHETIC_BYTES_PER_VALUE;
  if (bytes > os.totalmem()) {
    throw new OptionError('size', `${size} images of ${channels}×${height}×${width} need about ${(bytes / 1e9).toFixed(0)} GB ` +
      `while they are generated, more than this machine's ${(os.totalmem() / 1e9).toFixed(0)} GB of memory; use fewer or smaller images`);
  }
}

/** Opens and scans a dataset off the JS thread; bad files are reported now, naming the file (and offset). */
export function dataset(spec: DatasetSpec): Promise<Dataset> {
  const callSite = captureCallSite(dataset);
  return withCallSite(callSite, async () => {
    const resolved = resolveDatasetSpec(spec);
    return new Dataset(await native().openDataset(resolved));
  });
}
