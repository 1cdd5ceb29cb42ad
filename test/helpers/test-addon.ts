// The test addon, build/Release/senet_lab_testing.node: the product addon's
// exports plus the hooks of binding/testing/ (never shipped). jest.config.js
// makes lib/native.ts load it (SENET_ADDON), so models created through the
// library are the test addon's and its hooks accept them.
import { NativeModel, native } from '../../lib/native';

export interface StepSwitches {
  /** The CUDA step without a per-step host sync (losses read back at log points, masked updates). */
  deferredSync?: boolean;
  /** fp16's dynamic loss scaling in fp32 math, starting at this scale (0: off). */
  gradScalerInit?: number;
}

export interface TestHooks {
  _setTestSwitches(deferredSync: boolean, gradScalerInit: number): void;
  /** One attention block forward + backward between safetensors files (native/testing/attention_check.h). */
  attentionCheck(options: { kind: string; reduction?: number; fused?: boolean; input: string; output: string }): Promise<void>;
  /** Train-mode loss of one batch; parameter gradients written to `path` (safetensors). */
  gradients(model: NativeModel, input: Float32Array, shape: number[], labels: Int32Array, path: string): Promise<number>;
  /** Seconds of each of `iterations` predictions, timed inside native code. */
  timePredict(model: NativeModel, shape: number[], iterations: number): Promise<number[]>;
  /** Native models alive in the process, all worker_threads environments together. */
  liveModels(): number;
  /** Hands glibc's free heap pages back to the OS (malloc_trim), so an RSS reading counts live memory. */
  trimMalloc(): void;
}

export function testHooks(): TestHooks {
  const addon = native() as unknown as TestHooks & { testAddon?: boolean };
  if (!addon.testAddon) {
    throw new Error('the test addon is not loaded: SENET_ADDON must name build/Release/senet_lab_testing.node (jest.config.js sets it; build with SENET_TEST_ADDON=ON)');
  }
  return addon;
}

/** Runs `fn` with the step switches set (train/step.h StepOverrides), and clears them after. */
export async function withStepSwitches<T>(switches: StepSwitches, fn: () => Promise<T>): Promise<T> {
  testHooks()._setTestSwitches(switches.deferredSync ?? false, switches.gradScalerInit ?? 0);
  try {
    return await fn();
  } finally {
    testHooks()._setTestSwitches(false, 0);
  }
}
