// Reading an ONNX file (protobuf, through onnx-proto's generated protobufjs code) into plain
// values: nodes with decoded attributes, tensors as numbers, inputs and outputs with static shapes.

import onnxProto from "onnx-proto";
import { konst, type ConstKind, type ConstTensor } from "./tensor.ts";
import { sizeOf } from "../../../ir/types.ts";

const { onnx } = onnxProto;
type Long = { toString(): string };
type Int = number | Long | null | undefined;

export type AttrValue = number | string | readonly number[] | readonly string[] | ConstTensor;

export interface OnnxNode {
  /** The node's name, or `<OpType>_<position>` when the exporter left it empty. */
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttrValue>;
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly kind: ConstKind | "other";
  readonly elemType: string;
  /** Dimensions; a string is a symbolic dimension. */
  readonly shape: readonly (number | string)[] | undefined;
}

export interface OnnxModel {
  readonly file: string;
  readonly graphName: string;
  readonly opset: number;
  /** Set for a graph of another format read into this form: named in errors instead of the opset. */
  readonly dialect?: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, ConstTensor>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

/** An ONNX file semic cannot read; the message names the file and what is wrong. */
export class OnnxFormatError extends Error {}

const num = (v: Int): number => (v === null || v === undefined ? 0 : typeof v === "number" ? v : Number(v.toString()));

/** ONNX TensorProto.DataType → how semic holds it, and its byte width in raw_data. */
const dataTypes: Record<number, { name: string; kind: ConstKind; bytes: number; read: (dv: DataView, o: number) => number }> = {
  1: { name: "float32", kind: "float", bytes: 4, read: (dv, o) => dv.getFloat32(o, true) },
  11: { name: "float64", kind: "float", bytes: 8, read: (dv, o) => dv.getFloat64(o, true) },
  10: { name: "float16", kind: "float", bytes: 2, read: (dv, o) => half(dv.getUint16(o, true)) },
  16: { name: "bfloat16", kind: "float", bytes: 2, read: (dv, o) => new Float32Array(new Uint32Array([dv.getUint16(o, true) << 16]).buffer)[0]! },
  7: { name: "int64", kind: "int", bytes: 8, read: (dv, o) => Number(dv.getBigInt64(o, true)) },
  6: { name: "int32", kind: "int", bytes: 4, read: (dv, o) => dv.getInt32(o, true) },
  5: { name: "int16", kind: "int", bytes: 2, read: (dv, o) => dv.getInt16(o, true) },
  4: { name: "uint16", kind: "int", bytes: 2, read: (dv, o) => dv.getUint16(o, true) },
  3: { name: "int8", kind: "int", bytes: 1, read: (dv, o) => dv.getInt8(o) },
  2: { name: "uint8", kind: "int", bytes: 1, read: (dv, o) => dv.getUint8(o) },
  9: { name: "bool", kind: "bool", bytes: 1, read: (dv, o) => dv.getUint8(o) },
};
const typeName = (t: number): string => dataTypes[t]?.name ?? (onnx.TensorProto.DataType[t] ?? `type ${t}`).toLowerCase();

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function readTensor(t: InstanceType<typeof onnx.TensorProto> | onnxProto.onnx.ITensorProto, where: string): ConstTensor {
  const shape = (t.dims ?? []).map(num);
  const dt = dataTypes[t.dataType ?? 0];
  if (!dt) throw new OnnxFormatError(`${where}: tensor ${t.name ?? ""} has element type ${typeName(t.dataType ?? 0)}, which semic does not read`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new OnnxFormatError(`${where}: tensor ${t.name ?? ""} keeps its data in an external file; re-export with the weights inside the .onnx file`);
  const n = sizeOf(shape);
  let data: number[];
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * dt.bytes)
      throw new OnnxFormatError(`${where}: tensor ${t.name ?? ""} [${shape.join(",")}] ${dt.name} needs ${n * dt.bytes} bytes of raw data, has ${t.rawData.length}`);
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    data = Array.from({ length: n }, (_, i) => dt.read(dv, i * dt.bytes));
  } else {
    const fields: readonly Int[] =
      t.floatData?.length ? t.floatData : t.doubleData?.length ? t.doubleData : t.int64Data?.length ? t.int64Data : (t.int32Data ?? []);
    data = fields.map(num);
    if (t.dataType === 10 || t.dataType === 16) data = data.map((v) => (t.dataType === 10 ? half(v) : dataTypes[16]!.read(new DataView(new Uint32Array([v]).buffer), 0)));
    if (data.length !== n) throw new OnnxFormatError(`${where}: tensor ${t.name ?? ""} [${shape.join(",")}] holds ${data.length} values, needs ${n}`);
  }
  return konst(dt.kind, shape, data);
}

function readAttr(a: onnxProto.onnx.IAttributeProto, where: string): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  switch (a.type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return num(a.i as Int);
    case T.STRING: return text(a.s ?? new Uint8Array());
    case T.FLOATS: return [...(a.floats ?? [])];
    case T.INTS: return (a.ints ?? []).map(num);
    case T.STRINGS: return (a.strings ?? []).map(text);
    case T.TENSOR: return readTensor(a.t ?? {}, `${where}, attribute ${a.name ?? ""}`);
    default:
      throw new OnnxFormatError(`${where}: attribute ${a.name ?? ""} of type ${T[a.type ?? 0] ?? a.type} (subgraphs, sparse tensors) is not supported`);
  }
}

function valueInfo(v: onnxProto.onnx.IValueInfoProto): OnnxValueInfo {
  const tt = v.type?.tensorType;
  const elem = tt?.elemType ?? 0;
  const shape = tt?.shape ? (tt.shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue as Int) : "?")) : undefined;
  return { name: v.name ?? "", kind: dataTypes[elem]?.kind ?? "other", elemType: typeName(elem), shape };
}

export function readOnnx(bytes: Uint8Array, file: string): OnnxModel {
  let m: InstanceType<typeof onnx.ModelProto>;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(`${file}: not an ONNX model (protobuf: ${e instanceof Error ? e.message : String(e)})`);
  }
  const g = m.graph;
  if (!g || (g.node ?? []).length === 0) throw new OnnxFormatError(`${file}: the ONNX model has no graph nodes`);
  const opset = num((m.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx")?.version as Int);
  const nodes = (g.node ?? []).map((n, i): OnnxNode => {
    const name = n.name || `${n.opType ?? "node"}_${i}`;
    const where = `${file}: node "${name}" (${n.opType ?? "?"})`;
    return {
      name,
      opType: n.opType ?? "",
      domain: n.domain ?? "",
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs: new Map((n.attribute ?? []).map((a) => [a.name ?? "", readAttr(a, where)])),
    };
  });
  const initializers = new Map((g.initializer ?? []).map((t) => [t.name ?? "", readTensor(t, `${file}: initializer`)]));
  return {
    file,
    graphName: g.name || "model",
    opset,
    nodes,
    initializers,
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? "")).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
  };
}
