// Where a run was trained, recorded with its results so a report stands alone:
// the senet-lab and libtorch versions, the CPU (model and the SIMD flags that
// change speed and float rounding), the GPU, threads and mixed precision.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCpuInfo } from '../cpu';
import type { RuntimeInfo } from '../runtime';

export interface Environment {
  senetLab: string;
  libtorch: string;
  node: string;
  os: string;
  cpu: string;
  /** The vector-instruction flags of the CPU that matter for speed and rounding (AVX2, AVX-512 and its bf16/VNNI, AMX, NEON…). */
  cpuFlags: string[];
  cores: number;
  /** 'none' or '<n> CUDA device(s)'. */
  gpu: string;
  /** The device the model trained on. */
  device: string;
  threads: number;
  amp: string;
}

/** The version in this package's package.json (found upwards from this file: from lib/ and from dist/lib/). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'senet-lab') return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** The CPU's vector flags from /proc/cpuinfo text (Linux); [] without flags. */
export function cpuFlags(cpuinfo: string): string[] {
  return parseCpuInfo(cpuinfo).flags;
}

/** This process's environment, for a run on `device` with mixed precision `amp`. */
export function currentEnvironment(info: RuntimeInfo, device: string, amp: string | false): Environment {
  const cpus = os.cpus();
  return {
    senetLab: packageVersion(),
    libtorch: info.torchVersion,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpuFlags: info.cpu.flags,
    cores: cpus.length,
    gpu: info.cudaAvailable ? `${info.cudaDeviceCount} CUDA device(s)` : 'none',
    device,
    threads: info.threads,
    amp: amp === false ? 'off' : amp,
  };
}
