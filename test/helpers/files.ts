// Temporary directories and tensor reads for tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspectSafetensors } from '../../lib';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `senet-${prefix}-`));
}

/** Bytes as float32 values, copied: aligned, and never a view into a pooled Buffer. */
export function float32Of(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readFloat32File(file: string): Float32Array {
  return float32Of(fs.readFileSync(file));
}

/** The raw bytes of each tensor in a safetensors file, by name (read through our own header parser). */
export function tensorBytes(file: string): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const data = fs.readFileSync(file);
  const header = inspectSafetensors(data);
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const t of header.tensors) {
    out.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: data.subarray(header.dataStart + t.begin, header.dataStart + t.end) });
  }
  return out;
}

export function readTensor(file: string, name: string): Float32Array {
  const t = tensorBytes(file).get(name);
  if (!t || t.dtype !== 'F32') throw new Error(`no F32 tensor '${name}' in ${file}`);
  return float32Of(t.bytes);
}
