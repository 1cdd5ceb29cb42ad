// Read-only look at a safetensors header, through the same bounds-checked
// parser the loader uses.
import { callNative } from './errors';
import { native, SafetensorsInspection } from './native';

export type { SafetensorsInspection };

/** Parses and validates the header of a safetensors file held in memory. Throws on any malformed header. */
export function inspectSafetensors(bytes: Uint8Array): SafetensorsInspection {
  if (!ArrayBuffer.isView(bytes) || Object.prototype.toString.call(bytes) !== '[object Uint8Array]') {
    throw new TypeError('inspectSafetensors(bytes) needs a Uint8Array or Buffer');
  }
  return callNative(inspectSafetensors, () => native().inspectSafetensors(bytes));
}
