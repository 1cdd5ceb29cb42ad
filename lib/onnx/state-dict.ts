// The float32 tensors of a safetensors file (a model's state_dict), read
// through the addon's bounds-checked header parser. The graph writers take
// each tensor by its torchvision name; what no writer took is reported, so a
// graph that forgot a weight cannot be written.
import { inspectSafetensors } from '../safetensors';

export interface Tensor {
  shape: number[];
  values: Float32Array;
}

export class StateDict {
  readonly #tensors: Map<string, Tensor>;
  readonly #taken = new Set<string>();

  constructor(tensors: Map<string, Tensor>) {
    this.#tensors = tensors;
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /** The tensor `name`; throws naming it when the file lacks it. */
  take(name: string): Tensor {
    const tensor = this.#tensors.get(name);
    if (!tensor) throw new Error(`ONNX export: the weights have no tensor '${name}'`);
    this.#taken.add(name);
    return tensor;
  }

  /** Float32 tensors no writer took. */
  untaken(): string[] {
    return [...this.#tensors.keys()].filter((name) => !this.#taken.has(name));
  }
}

/**
 * The F32 tensors of a safetensors file held in memory (the I64
 * num_batches_tracked counters are training state and left out). Values are
 * copied, so the result does not depend on the file buffer's alignment.
 */
export function stateDictOf(bytes: Uint8Array): StateDict {
  const header = inspectSafetensors(bytes);
  const tensors = new Map<string, Tensor>();
  for (const t of header.tensors) {
    if (t.dtype === 'I64') continue;
    if (t.dtype !== 'F32') throw new Error(`ONNX export: tensor '${t.name}' is ${t.dtype}; only F32 weights can be exported`);
    const start = header.dataStart + t.begin;
    const copy = bytes.slice(start, header.dataStart + t.end);
    // safetensors stores little-endian values, as does every platform libtorch runs on.
    tensors.set(t.name, { shape: t.shape, values: new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4) });
  }
  return new StateDict(tensors);
}
