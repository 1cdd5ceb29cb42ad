// A small builder for ONNX graphs on top of onnx-proto (the ONNX schema
// compiled for protobufjs): named initializers, nodes with typed attributes,
// and the final ModelProto, encoded by protobufjs. Nothing here writes
// protobuf bytes by hand; tensor payloads go into TensorProto.raw_data, the
// little-endian layout the ONNX spec defines for it.
import * as os from 'os';
import { onnx } from 'onnx-proto';
import { IR_VERSION_OF_OPSET, SUPPORTED_OPSETS } from './opsets';

/** A typed attribute value: ONNX attributes carry their type, so ints and floats are told apart explicitly. */
export type Attribute = { int: number } | { ints: number[] } | { float: number };

export const int = (value: number): Attribute => ({ int: value });
export const ints = (values: number[]): Attribute => ({ ints: values });
export const float = (value: number): Attribute => ({ float: value });

/** A dimension of a graph input or output: a fixed size or a symbolic name ('batch'). */
export type Dim = number | string;

function attributeProto(name: string, value: Attribute): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: value.ints };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

/** The bytes of a typed array in little-endian order (raw_data's byte order), whatever the host's. */
function littleEndianBytes(values: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (os.endianness() === 'LE') return bytes;
  const swapped = new Uint8Array(bytes);
  const width = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < swapped.length; i += width) swapped.subarray(i, i + width).reverse();
  return swapped;
}

function valueInfo(name: string, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly #nodes: onnx.INodeProto[] = [];
  readonly #initializers: onnx.ITensorProto[] = [];
  readonly #names = new Set<string>();
  #counter = 0;

  /** A float32 initializer (a weight) named `name`, e.g. its state_dict key. */
  weight(name: string, dims: number[], values: Float32Array): string {
    return this.#initializer(name, dims, onnx.TensorProto.DataType.FLOAT, littleEndianBytes(values));
  }

  /** An int64 initializer (shapes for Reshape); a second call with the same name reuses the first. */
  int64s(name: string, values: number[]): string {
    if (this.#names.has(name)) return name;
    return this.#initializer(name, [values.length], onnx.TensorProto.DataType.INT64, littleEndianBytes(BigInt64Array.from(values.map(BigInt))));
  }

  #initializer(name: string, dims: number[], dataType: number, rawData: Uint8Array): string {
    this.#claim(name);
    this.#initializers.push({ name, dims, dataType, rawData });
    return name;
  }

  #claim(name: string): void {
    if (this.#names.has(name)) throw new Error(`ONNX graph: the name '${name}' is used twice`);
    this.#names.add(name);
  }

  /**
   * Appends a node and returns the name of its (single) output. `hint` makes
   * the output name readable (`layer1.0.conv1`); a counter keeps it unique.
   * `output` names it outright (a graph output).
   */
  node(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, hint = opType, output = `${hint}:${opType}:${this.#counter++}`): string {
    this.#claim(output);
    this.#nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, value]) => attributeProto(name, value)),
    });
    return output;
  }

  /** The encoded ModelProto: one graph from `input` to `output` (a node's output of that name). */
  encode(spec: {
    opset: number;
    input: { name: string; dims: Dim[] };
    output: { name: string; dims: Dim[] };
    graphName: string;
    docString: string;
    producerVersion: string;
    metadata: Record<string, string>;
  }): Uint8Array {
    const irVersion = IR_VERSION_OF_OPSET[spec.opset];
    if (irVersion === undefined) throw new Error(`ONNX opset ${spec.opset} is not supported; valid: ${SUPPORTED_OPSETS.join(', ')}`);
    if (!this.#nodes.some((n) => n.output?.[0] === spec.output.name)) throw new Error(`ONNX graph: no node produces '${spec.output.name}'`);
    const model: onnx.IModelProto = {
      irVersion,
      producerName: 'senet-lab',
      producerVersion: spec.producerVersion,
      docString: spec.docString,
      opsetImport: [{ domain: '', version: spec.opset }],
      metadataProps: Object.entries(spec.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: spec.graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: [valueInfo(spec.input.name, spec.input.dims)],
        output: [valueInfo(spec.output.name, spec.output.dims)],
      },
    };
    // verify() checks every field against the schema; encode() takes the plain object as is
    // (fromObject would copy the weights once more).
    const problem = onnx.ModelProto.verify(model);
    if (problem) throw new Error(`ONNX graph: ${problem}`);
    return onnx.ModelProto.encode(model).finish();
  }
}
