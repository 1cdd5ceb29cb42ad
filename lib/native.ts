// Loads the compiled addon. The addon links libtorch dynamically, so the most
// common failure is a missing libtorch: say exactly how to get one.
import * as fs from 'fs';
import * as path from 'path';

export interface NativeStageSummary {
  name: string;
  outputShape: number[];
  parameters: number;
}

export interface NativeModel {
  predict(input: Float32Array, shape: number[], options?: { amp: string | false; channelsLast: boolean }): Promise<Float32Array>;
  timePredict(shape: number[], iterations: number): Promise<number[]>;
  save(path: string): Promise<void>;
  load(path: string): Promise<void>;
  /** Test hook: train-mode loss of one batch; parameter gradients written to `path` (safetensors). */
  gradients(input: Float32Array, shape: number[], labels: Int32Array, path: string): Promise<number>;
  summary(height: number, width: number): NativeStageSummary[];
  stateDictKeys(): string[];
  parameterCount(): number;
  options(): Record<string, unknown> & { resolvedDevice: string };
  dispose(): void;
  disposed(): boolean;
}

export interface SafetensorsInspection {
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: number[]; begin: number; end: number }[];
  dataStart: number;
}

export interface NativeDataset {
  info(): import('./data').DatasetInfo;
  sample(index: number, seed: number, epoch: number): { image: Float32Array; shape: number[]; label: number };
  batch(options: object, iteration: number, count: number): Promise<{ images: Float32Array; shape: number[]; labels: number[]; seconds: number }>;
}

export interface NativeTrainHandle {
  promise: Promise<Omit<import('./train').TrainResult, 'model' | 'settings'>>;
  stop(): void;
}

export interface NativeAddon {
  Model: new (options: Record<string, unknown>) => NativeModel;
  loadModel(path: string, device: string): Promise<NativeModel>;
  setThreads(threads: number): void;
  runtimeInfo(): import('./runtime').RuntimeInfo;
  setTf32(enabled: boolean): void;
  /** Test-only: run the CUDA step's code paths on CPU (deferred sync, fp16 loss scaling in fp32 math). */
  _setTestSwitches(deferredSync: boolean, gradScalerInit: number): void;
  inspectSafetensors(bytes: Uint8Array): SafetensorsInspection;
  names(): { archs: string[]; stems: string[]; attentions: string[] };
  train(model: NativeModel, settings: object, data: object, onEvent?: (event: never) => void): NativeTrainHandle;
  evaluate(
    model: NativeModel, data: object, batchSize: number, workers: number, options?: { amp: string | false; channelsLast: boolean },
  ): Promise<import('./train').EvalResult>;
  learningRates(settings: object, count: number): Float64Array;
  openDataset(spec: object): Promise<NativeDataset>;
  /** Test hook: one attention block forward + backward between safetensors files (native/testing/attention_check.h). */
  attentionCheck(options: { kind: string; reduction?: number; fused?: boolean; input: string; output: string }): Promise<void>;
}

// lib/ (under ts-jest) and dist/lib/ (compiled) sit at different depths.
function findPackageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

const packageRoot = findPackageRoot();

function loadAddon(): NativeAddon {
  try {
    // SENET_ADDON: an addon built elsewhere (bench/gpu.sh builds into its own folder against a CUDA libtorch).
    const override = process.env.SENET_ADDON;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    if (override) return require(path.resolve(override)) as NativeAddon;
    // node-gyp-build: a local build (build/Release) first, then prebuilds/<platform>-<arch>/.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    return load(packageRoot);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    const missingTorch = /lib(torch|c10)[^ ]*\.so/.test(reason);
    const hint = missingTorch
      ? 'libtorch is not installed or not on the loader path: on Debian/Ubuntu run ' +
        '`sudo apt-get install libtorch-dev libopenblas0-openmp`; for a CUDA libtorch, rebuild with ' +
        '`TORCH_DIR=/path/to/libtorch npm run build:native` (and put its lib/ on LD_LIBRARY_PATH if it moved).'
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
