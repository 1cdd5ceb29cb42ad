// `senet-lab info`: what this installation links and finds.
import * as fs from 'fs';
import { FASHION_MNIST_DIR } from '../data';
import { RuntimeInfo, runtimeInfo } from '../runtime';
import { printTable } from './output';

/** The BLAS libtorch resolves to, read from this process's memory map. */
function blasLibrary(): string {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const libs = [...new Set(maps.split('\n').map((l) => l.split(/\s+/).pop() ?? '').filter((p) => /blas|lapack|mkl/i.test(p)))];
    const blas = libs.map((p) => fs.realpathSync(p)).find((p) => /blas/i.test(p));
    return blas ?? 'not loaded';
  } catch {
    return 'unknown (no /proc/self/maps)';
  }
}

/** ATen's OpenMP runtime, and whether the per-thread thread counts reach it (see runtimeInfo().openmp). */
function openmpSummary(info: RuntimeInfo): string {
  const o = info.openmp;
  if (!o.atenRuntime) return `none (ATen parallel backend: ${o.atenBackend})`;
  const reach = o.perThreadCountReachesATen ? 'per-thread counts reach it' : 'WARNING: per-thread counts do not reach it';
  const extra = o.loadedRuntimes.length > 1 ? `; ${o.loadedRuntimes.length} OpenMP runtimes loaded: ${o.loadedRuntimes.join(', ')}` : '';
  return `${o.atenRuntime} (${reach}${extra})`;
}

export function printInfo(): void {
  const info = runtimeInfo();
  const blas = blasLibrary();
  const rows: string[][] = [
    ['libtorch', info.torchVersion],
    ['CUDA', info.cudaAvailable ? `yes, ${info.cudaDeviceCount} device(s)` : 'no (CPU-only libtorch or no visible GPU)'],
    ['threads', String(info.threads)],
    ['OpenMP', openmpSummary(info)],
    ['CPU', `${info.cpu.model} (${info.cpu.flags.join(' ') || 'no AVX flags reported'})`],
    ['bf16 on CPU', info.cpu.bf16 === 'native' ? 'native (amp: bf16 is faster than fp32 here)' : 'emulated (amp: bf16 works but is slower than fp32 on this CPU)'],
    ['allocator', info.allocator],
    ['BLAS', blas + (/openblas/i.test(blas) ? '' : '  (install libopenblas0-openmp: the reference BLAS is ~30× slower)')],
    ['node', process.version],
    ['Fashion-MNIST', fs.existsSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`) ? FASHION_MNIST_DIR : 'not found (apt-get install dataset-fashion-mnist)'],
  ];
  printTable([], rows, 'senet-lab info');
}
