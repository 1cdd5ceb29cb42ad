// The compiled addon: its typed interface, the plain objects it returns, and
// loading it. The addon links libtorch dynamically, so the most
// common failure is a missing libtorch: say exactly how to get one.
import * as fs from 'fs';
import * as path from 'path';

// ---- Wire types: the plain objects the addon returns. Each is a native struct's JSON form (its to_json or
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE list, next to the struct in native/), read into JS by binding/js_json.h;
// test/wire-types.test.ts compares what the addon returns with these declarations, member by member.

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
  | { type: 'end'; iteration: number; epoch: number; path?: string }
  /** The run waits for another train() of this process to end (runs take turns; predict and evaluate calls do not wait for them). */
  | { type: 'queued'; iteration: number; epoch: number };

export interface NativeTrainResult {
  /** Metrics of the last evaluation (null without test data or when stopped before any). */
  finalEval: EvalResult | null;
  bestEval: EvalMetrics | null;
  bestIteration: number;
  /** Completed iterations, counting those done before a resume. */
  iterations: number;
  startIteration: number;
  wallSeconds: number;
  /** Global batch images per second (all processes of a data-parallel run). */
  imagesPerSecond: number;
  /**
   * Data-parallel runs: seconds this process spent in collectives outside backward (the gradient all-reduce not
   * hidden behind backward, buffer broadcasts, loss and stop agreement, waiting for slower processes). 0 otherwise.
   */
  communicationSeconds: number;
  /** true when an AbortSignal stopped the run (a checkpoint was written if outDir is set). */
  stopped: boolean;
  skippedBatches: number;
  paths: { checkpoint: string | null; weights: string | null; metrics: string | null };
}


export interface DatasetInfo {
  type: string;
  location: string;
  size: number;
  classNames: string[];
  classCounts: number[];
  /** Stored [C, H, W] (H = W = 0 when images differ in size). */
  imageShape: number[];
  /** [C, H, W] after the transforms. */
  sampleShape: number[];
  /** Files dropped by the scan with onBadSample: 'skip'. */
  skipped: number;
  skippedExamples: string[];
}

export interface NativeRuntimeInfo {
  /** Version of the linked libtorch. */
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  /** The CUDA release the linked libtorch was built with (`"13.0"`); `""` for a CPU-only libtorch. Set also where no GPU is visible. */
  cudaBuild: string;
  /** Intra-op threads used by native work (default: all cores). */
  threads: number;
  /** The malloc settings applied at load (see native/runtime/allocator_tuning.h; SENET_MALLOC_TUNING=0 turns them off). */
  allocator: string;
  /** Whether CUDA may use TF32 in convolutions (cuDNN) and matmuls (cuBLAS); libtorch's defaults: true, false. */
  tf32: { convolutions: boolean; matmuls: boolean };
  /**
   * The OpenMP runtime behind ATen's intra-op parallelism. Per-thread thread counts (the compute thread's, and 1 on
   * every other thread) are set with omp_set_num_threads; `perThreadCountReachesATen` is false when they land in
   * another runtime than the one ATen reads (two OpenMP runtimes loaded, or ATen built without OpenMP).
   */
  openmp: {
    /** ATen's parallel backend as libtorch reports it ("OpenMP", "native thread pool", ...). */
    atenBackend: string;
    /** The file ATen's OpenMP calls resolve to ("" without OpenMP). */
    atenRuntime: string;
    /** The file the addon's own OpenMP calls resolve to ("" when built without OpenMP). */
    ownRuntime: string;
    /** Every OpenMP runtime (libgomp, libiomp5, libomp) loaded in the process. */
    loadedRuntimes: string[];
    perThreadCountReachesATen: boolean;
  };
}

export interface StageSummary {
  /** `stem`, `layer1`…`layer4`, `avgpool`, `fc`. */
  name: string;
  /** Output shape for one image: [C, H, W] for feature maps, [C] after pooling. */
  outputShape: number[];
  /** Parameters owned by this stage. */
  parameters: number;
}


export interface NativeModel {
  predict(input: Float32Array, shape: number[], options?: { amp: string | false; channelsLast: boolean; exact: boolean }): Promise<Float32Array>;
  save(path: string): Promise<void>;
  load(path: string): Promise<void>;
  summary(height: number, width: number): StageSummary[];
  stateDictKeys(): string[];
  parameterCount(): number;
  options(): Record<string, unknown> & { resolvedDevice: string };
  dispose(): void;
  disposed(): boolean;
}

export interface SafetensorsInspection {
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: number[]; begin: number; end: number }[];
  /** Where the data section starts: 8 + the header's length. */
  dataStart: number;
  /** Bytes in the data section. */
  dataSize: number;
}

/** What a run's latest checkpoint records, read natively before a resumed run starts (lib/checkpoint.ts). */
export interface CheckpointSummary {
  /** The checkpoint directory (`<run>/checkpoints/iter-NNNNNNNN`). */
  checkpoint: string;
  /** Completed iterations. */
  iteration: number;
  /** Processes of the run that wrote it (1 unless it was data-parallel): a resumed run needs as many. */
  worldSize: number;
  /** The run's training options as state.json records them (the native TrainOptions as JSON); null when absent. */
  options: Record<string, unknown> | null;
  /** model.safetensors' `__metadata__`: the model options (arch, stem, attention, in_channels, ...). */
  modelMetadata: Record<string, string>;
}

/** In-memory training data as the addon reads it (lib/train.ts prepareDataset). */
export interface NativeInMemoryDataset {
  images: Uint8Array | Float32Array;
  labels: Int32Array;
  shape: number[];
  mean?: number[];
  std?: number[];
}

export interface NativeDataset {
  info(): DatasetInfo;
  sample(index: number, seed: number, epoch: number): { image: Float32Array; shape: number[]; label: number };
  batch(options: object, iteration: number, count: number): Promise<{ images: Float32Array; shape: number[]; labels: number[]; seconds: number }>;
}

export interface NativeTrainHandle {
  promise: Promise<NativeTrainResult>;
  stop(): void;
}

export interface NativeAddon {
  Model: new (options: Record<string, unknown>) => NativeModel;
  loadModel(path: string, device: string): Promise<NativeModel>;
  setThreads(threads: number): void;
  runtimeInfo(): NativeRuntimeInfo;
  setTf32(enabled: boolean): void;
  inspectSafetensors(bytes: Uint8Array): SafetensorsInspection;
  names(): { archs: string[]; stems: string[]; attentions: string[] };
  readCheckpoint(runDir: string): CheckpointSummary;
  train(model: NativeModel, settings: object, data: object, onEvent?: (event: never) => void): NativeTrainHandle;
  evaluate(
    model: NativeModel, data: object, batchSize: number, workers: number, options?: { amp: string | false; channelsLast: boolean },
  ): Promise<EvalResult>;
  learningRates(settings: object, count: number): Float64Array;
  openDataset(spec: object): Promise<NativeDataset>;
}

// lib/ (under ts-jest) and dist/lib/ (compiled) sit at different depths.
function findPackageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

const packageRoot = findPackageRoot();

/** This package's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

function loadAddon(): NativeAddon {
  try {
    // SENET_ADDON: another build of the addon — the test addon (build/Release/senet_lab_testing.node, which the
    // test suite and the benchmarks load) or one built against another libtorch (bench/gpu.sh).
    const override = process.env.SENET_ADDON;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    if (override) return require(path.resolve(override)) as NativeAddon;
    // node-gyp-build: a local build (build/Release) first, then prebuilds/<platform>-<arch>/.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    return load(packageRoot);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    const missing = /(lib[\w+.-]*\.so[.\d]*): cannot open shared object file/.exec(reason)?.[1];
    const missingTorch = /lib(torch|c10)[^ ]*\.so/.test(reason);
    // The run-time libraries the addon links, and the Debian/Ubuntu packages that have them.
    const PACKAGES: [RegExp, string][] = [[/openblas/, 'libopenblas0-openmp'], [/turbojpeg/, 'libturbojpeg0'], [/png/, 'libpng16-16'], [/gloo/, 'libgloo0']];
    const hint = missingTorch
      ? 'libtorch is not installed or not on the loader path: on Debian/Ubuntu run ' +
        '`sudo apt-get install libtorch-dev libopenblas0-openmp`; for a CUDA libtorch, rebuild with ' +
        '`TORCH_DIR=/path/to/libtorch npm run build:native` (and put its lib/ on LD_LIBRARY_PATH if it moved).'
      : missing
        ? `the library ${missing} is missing: on Debian/Ubuntu run \`sudo apt-get install ${PACKAGES.find(([re]) => re.test(missing))?.[1] ?? 'the package that provides it'}\`.`
        : 'no native addon for this platform: run `bash scripts/setup.sh` (or `npm run build:native`) to build it.';
    throw new Error(`senet-lab: cannot load the native addon; ${hint}\n  (${reason})`);
  }
}

let addon: NativeAddon | undefined;

/** The native addon, loaded on first use. */
export function native(): NativeAddon {
  addon ??= loadAddon();
  return addon;
}
