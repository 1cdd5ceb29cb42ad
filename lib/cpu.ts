// What this CPU offers: its model and vector flags from /proc/cpuinfo (Linux),
// and whether it runs bf16 natively. With AVX512_BF16 or AMX-BF16, oneDNN runs
// bf16 convolutions and matmuls in hardware; without them libtorch still
// computes bf16 (converting to fp32 around each multiply): correct, but slower
// than fp32.
import * as fs from 'fs';

export interface CpuInfo {
  /** The CPU's model name, or 'unknown'. */
  model: string;
  /** The vector-instruction flags that matter for speed and rounding (AVX2, AVX-512 and its bf16/VNNI, AMX, NEON, SVE…). */
  flags: string[];
  /** 'native': bf16 dot products in hardware (AVX512_BF16 or AMX-BF16); 'emulated': bf16 works, slower than fp32. */
  bf16: 'native' | 'emulated';
}

const SIMD_FLAG = /^(sse4_2|avx|avx2|fma|f16c|avx_vnni|avx512\w*|amx\w*|neon|asimd\w*|sve\w*|sme(?!p$)\w*)$/; // smep (x86 supervisor-mode execution protection) is not Arm SME

/** Parses /proc/cpuinfo text (x86 `flags`, Arm `Features`; the first processor's entry). */
export function parseCpuInfo(text: string): CpuInfo {
  const lines = text.split('\n');
  const value = (pattern: RegExp): string | undefined => lines.find((l) => pattern.test(l))?.split(':').slice(1).join(':').trim();
  const flags = (value(/^(flags|Features)\s*:/) ?? '').split(/\s+/).filter((f) => SIMD_FLAG.test(f));
  const bf16 = flags.includes('avx512_bf16') || flags.includes('amx_bf16') ? 'native' : 'emulated';
  return { model: value(/^model name\s*:/) ?? 'unknown', flags, bf16 };
}

let cached: CpuInfo | undefined;

export function cpuInfo(): CpuInfo {
  if (cached) return cached;
  try {
    cached = parseCpuInfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    cached = { model: 'unknown', flags: [], bf16: 'emulated' }; // no /proc/cpuinfo (not Linux): bf16 still works
  }
  return cached;
}
