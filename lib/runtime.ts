// Process-wide runtime settings of the native engine.
import { CpuInfo, cpuInfo } from './cpu';
import { callNative } from './errors';
import { NativeRuntimeInfo, native } from './native';
import { OptionError, integerIn } from './options';

export type { CpuInfo } from './cpu';

export interface RuntimeInfo extends NativeRuntimeInfo {
  /** The CPU, its relevant SIMD flags, and whether it runs bf16 (amp: 'bf16' on CPU) natively. */
  cpu: CpuInfo;
}

export function runtimeInfo(): RuntimeInfo {
  return { ...native().runtimeInfo(), cpu: cpuInfo() };
}

/**
 * Allows or forbids TF32 math for float32 convolutions and matmuls on Ampere and later GPUs, process-wide
 * (torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32). Turn it off for float32 results
 * that match PyTorch to ~1e-5; no effect on CPU.
 */
export function setTf32(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new OptionError('tf32', `must be true or false, got ${JSON.stringify(enabled)}`);
  native().setTf32(enabled);
}

/** Sets the intra-op thread count for all later native work. */
export function setThreads(threads: number): void {
  const n = integerIn('threads', threads, 1, 1024);
  callNative(setThreads, () => native().setThreads(n));
}
