// Process-wide runtime settings of the native engine.
import { callNative } from './errors';
import { native } from './native';
import { integerIn } from './options';

export interface RuntimeInfo {
  /** Version of the linked libtorch. */
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  /** Intra-op threads used by native work (default: all cores). */
  threads: number;
  /** The malloc settings applied at load (see native/allocator_tuning.h; SENET_MALLOC_TUNING=0 turns them off). */
  allocator: string;
}

export function runtimeInfo(): RuntimeInfo {
  return native().runtimeInfo();
}

/** Sets the intra-op thread count for all later native work. */
export function setThreads(threads: number): void {
  const n = integerIn('threads', threads, 1, 1024);
  callNative(setThreads, () => native().setThreads(n));
}
