// Small ONNX models written in the test, encoded with the same protobuf schema the importer reads.

import onnxProto from "onnx-proto";
import { readOnnx, type OnnxModel } from "../../compiler/importers/onnx/proto.ts";

const { onnx } = onnxProto;
const T = onnx.AttributeProto.AttributeType;

export type Attr = number | string | number[] | { ints: number[] } | { float: number };

export interface ModelSpec {
  readonly opset?: number;
  readonly inputs: readonly { name: string; shape: readonly (number | string)[]; type?: "float" | "int64" }[];
  readonly initializers?: Readonly<Record<string, { shape: number[]; data: number[]; type?: "float" | "int64" }>>;
  readonly nodes: readonly { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Record<string, Attr> }[];
  readonly outputs: readonly string[];
}

function attribute(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ("ints" in v) return { name, type: T.INTS, ints: v.ints };
  return { name, type: T.FLOAT, f: v.float };
}

const elem = (t: "float" | "int64" | undefined) => (t === "int64" ? 7 : 1);

export function encodeModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: spec.opset ?? 14 }],
    graph: {
      name: "test",
      input: spec.inputs.map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: elem(i.type), shape: { dim: i.shape.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
      })),
      initializer: Object.entries(spec.initializers ?? {}).map(([name, t]) =>
        t.type === "int64" ? { name, dims: t.shape, dataType: 7, int64Data: t.data } : { name, dims: t.shape, dataType: 1, floatData: t.data },
      ),
      node: spec.nodes.map((n, k) => ({
        name: n.name ?? `/n${k}/${n.op}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([key, v]) => attribute(key, v)),
      })),
      output: spec.outputs.map((name) => ({ name, type: { tensorType: { elemType: 1 } } })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export const onnxModel = (spec: ModelSpec, file = "test.onnx"): OnnxModel => readOnnx(encodeModel(spec), file);
