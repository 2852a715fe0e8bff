/**
 * A minimal ONNX graph builder over onnx-proto's protobuf messages: enough to write a BERT
 * encoder by hand without the Python onnx package.
 */

import type { onnx as Onnx } from "onnx-proto";
import onnxProto from "onnx-proto";

// onnx-proto is CommonJS without named-export hints: take the namespace from the default export.
const { onnx } = onnxProto;

/** ONNX element types used here. */
export const DataType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  INT8: onnx.TensorProto.DataType.INT8,
  INT32: onnx.TensorProto.DataType.INT32,
  INT64: onnx.TensorProto.DataType.INT64,
} as const;

/** A symbolic or fixed dimension of a graph input/output. */
export type Dim = string | number;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(view: Float32Array | Int8Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian; typed arrays use host order, which is little-endian on every
  // machine this project targets. Refuse rather than write a corrupt model elsewhere.
  if (!LITTLE_ENDIAN) throw new Error("generating ONNX raw_data requires a little-endian host");
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Integer attribute. */
export function attrInt(name: string, value: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/** Float attribute. */
export function attrFloat(name: string, value: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

/** Integer-list attribute. */
export function attrInts(name: string, values: number[]): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

/** A tensor-typed graph input or output. */
export function valueInfo(name: string, elemType: number, dims: Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

/** Collects nodes and initializers, naming intermediate values uniquely. */
export class GraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  private counter = 0;

  /** Appends a node with `outputCount` fresh outputs and returns their names. */
  op(
    opType: string,
    inputs: string[],
    attributes: Onnx.IAttributeProto[] = [],
    outputCount = 1,
  ): string[] {
    const id = this.counter++;
    const outputs = Array.from({ length: outputCount }, (_, i) => `${opType}_${id}_out${i}`);
    this.nodes.push({
      name: `${opType}_${id}`,
      opType,
      input: inputs,
      output: outputs,
      attribute: attributes,
    });
    return outputs;
  }

  /** Appends a single-output node and returns its output name. */
  op1(opType: string, inputs: string[], attributes: Onnx.IAttributeProto[] = []): string {
    const [output] = this.op(opType, inputs, attributes, 1);
    if (output === undefined) throw new Error("unreachable: op returned no output");
    return output;
  }

  /** Appends a node whose single output has a chosen name (graph outputs). */
  opNamed(
    opType: string,
    inputs: string[],
    output: string,
    attributes: Onnx.IAttributeProto[] = [],
  ): string {
    this.nodes.push({
      name: `${opType}_${this.counter++}`,
      opType,
      input: inputs,
      output: [output],
      attribute: attributes,
    });
    return output;
  }

  /** Adds a float32 initializer. */
  float(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: bytesOf(data) });
    return name;
  }

  /** Adds an int8 initializer. */
  int8(name: string, dims: number[], data: Int8Array): string {
    this.initializers.push({ name, dims, dataType: DataType.INT8, rawData: bytesOf(data) });
    return name;
  }

  /** Adds an int64 initializer (shapes, axes, indices). */
  int64(name: string, dims: number[], values: number[]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dims, dataType: DataType.INT64, rawData: bytesOf(data) });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(name: string, value: number): string {
    return this.float(name, [], Float32Array.of(value));
  }
}

/** Serializes a graph into an ONNX model file's bytes. */
export function encodeModel(options: {
  graphName: string;
  builder: GraphBuilder;
  inputs: Onnx.IValueInfoProto[];
  outputs: Onnx.IValueInfoProto[];
  opset: number;
  docString: string;
}): Uint8Array {
  const model: Onnx.IModelProto = {
    // IR 8 is the newest onnx-proto knows and onnxruntime 1.21 reads it.
    irVersion: 8,
    producerName: "pyrite-edge scripts/generate-test-model.ts",
    producerVersion: "1",
    docString: options.docString,
    opsetImport: [{ domain: "", version: options.opset }],
    graph: {
      name: options.graphName,
      node: options.builder.nodes,
      initializer: options.builder.initializers,
      input: options.inputs,
      output: options.outputs,
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Parses an ONNX model file (used by tests to read the weights back). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
