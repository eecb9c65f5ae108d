// Reading a TF.js graph model (model.json: a TensorFlow GraphDef in JSON and a weights manifest;
// the weights in binary shards beside it) into the form the ONNX lowering reads: nodes with decoded
// attributes, Const values as known tensors (float ones become params under their TF names).

import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { SemicError } from "../../../ir/graph.ts";
import type { AttrValue, OnnxModel, OnnxNode, OnnxValueInfo } from "../onnx/proto.ts";
import { konst, type ConstKind, type ConstTensor } from "../onnx/tensor.ts";
import { sizeOf } from "../../../ir/types.ts";

interface TfAttr {
  readonly i?: string | number;
  readonly f?: number;
  readonly b?: boolean;
  readonly s?: string | readonly number[];
  readonly type?: string | number;
  readonly list?: { readonly i?: readonly (string | number)[]; readonly s?: readonly unknown[] };
  readonly shape?: { readonly dim?: readonly { readonly size?: string | number }[]; readonly unknownRank?: boolean };
}

interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Readonly<Record<string, TfAttr>>;
}

interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: unknown;
}

interface ModelJson {
  readonly modelTopology?: { readonly node?: readonly TfNode[] };
  readonly weightsManifest?: readonly { readonly paths: readonly string[]; readonly weights: readonly WeightEntry[] }[];
}

/** A Placeholder: its TF dtype and shape (−1 for a dimension fixed only by the data fed). */
export interface TfPlaceholder {
  readonly name: string;
  readonly kind: ConstKind | "other";
  readonly dtype: string;
  readonly shape: readonly number[];
}

export interface TfjsModel {
  readonly model: OnnxModel;
  readonly placeholders: readonly TfPlaceholder[];
}

/** TensorFlow DataType enum values and names (as tfjs-converter writes them) → how semic holds them. */
const tfTypes: Record<string, { name: string; kind: ConstKind | "other" }> = {
  "1": { name: "float32", kind: "float" },
  DT_FLOAT: { name: "float32", kind: "float" },
  "3": { name: "int32", kind: "int" },
  DT_INT32: { name: "int32", kind: "int" },
  "9": { name: "int64", kind: "int" },
  DT_INT64: { name: "int64", kind: "int" },
  "10": { name: "bool", kind: "bool" },
  DT_BOOL: { name: "bool", kind: "bool" },
  "7": { name: "string", kind: "other" },
  DT_STRING: { name: "string", kind: "other" },
};
export const tfType = (t: string | number | undefined) => tfTypes[String(t)] ?? { name: `type ${t}`, kind: "other" as const };

/** The model.json of a path: the file itself, or the one in a directory. */
export function modelJsonOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, "model.json") : path;
}

export function readTfjs(path: string): TfjsModel {
  const file = modelJsonOf(path);
  const fail = (msg: string): never => {
    throw new SemicError("E_TFJS", `${file}: ${msg}`);
  };
  if (!existsSync(file)) fail("no such file (a TF.js graph model is a model.json with its weight shards)");
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as ModelJson;
  } catch (e) {
    return fail(`not JSON: ${(e as Error).message}`);
  }
  const tfNodes = json.modelTopology?.node ?? fail("no modelTopology.node: not a TF.js graph model (a layers model is not supported)");
  const weights = readWeights(file, json.weightsManifest ?? [], fail);

  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, ConstTensor>();
  const placeholders: TfPlaceholder[] = [];
  const consumed = new Set<string>();
  for (const n of tfNodes) {
    const attrs = new Map<string, AttrValue>();
    for (const [k, a] of Object.entries(n.attr ?? {})) if (k !== "_output_shapes" && !k.startsWith("_")) attrs.set(k, attrValue(a));
    if (n.op === "Const") {
      initializers.set(n.name, weights.get(n.name) ?? fail(`Const node "${n.name}" has no entry in the weights manifest`));
      continue;
    }
    if (n.op === "Placeholder") {
      const t = tfType(n.attr?.["dtype"]?.type);
      const dims = (n.attr?.["shape"]?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
      placeholders.push({ name: n.name, kind: t.kind, dtype: t.name, shape: dims });
      continue;
    }
    // Control inputs (^name) order execution only; "name:k" is output k of node "name".
    const inputs = (n.input ?? []).filter((i) => !i.startsWith("^")).map((i) => (i.endsWith(":0") ? i.slice(0, -2) : i));
    inputs.forEach((i) => consumed.add(i.replace(/:\d+$/, "")));
    const outs = n.op === "SplitV" || n.op === "Split" ? Number(n.attr?.["num_split"]?.i ?? 1) : 1;
    nodes.push({ name: n.name, opType: n.op, domain: "", inputs, outputs: Array.from({ length: outs }, (_, k) => (k === 0 ? n.name : `${n.name}:${k}`)), attrs });
  }
  const outputs: OnnxValueInfo[] = nodes.filter((n) => !consumed.has(n.name)).map((n) => ({ name: n.name, kind: "float", elemType: "float32", shape: undefined }));
  return { model: { file, graphName: "model", opset: 18, dialect: "TF.js graph", nodes, initializers, inputs: [], outputs }, placeholders };
}

function attrValue(a: TfAttr): AttrValue {
  if (a.i !== undefined) return Number(a.i);
  if (a.f !== undefined) return a.f;
  if (a.b !== undefined) return a.b ? 1 : 0;
  if (a.type !== undefined) return tfType(a.type).name;
  if (a.s !== undefined) return typeof a.s === "string" ? Buffer.from(a.s, "base64").toString("utf8") : String.fromCharCode(...a.s);
  if (a.list !== undefined) return (a.list.i ?? []).map(Number);
  if (a.shape !== undefined) return (a.shape.dim ?? []).map((d) => Number(d.size ?? -1));
  return "";
}

const bytesPer: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** The weights of the manifest, in order through the concatenated shards of each group. */
function readWeights(file: string, manifest: NonNullable<ModelJson["weightsManifest"]>, fail: (msg: string) => never): Map<string, ConstTensor> {
  const out = new Map<string, ConstTensor>();
  for (const group of manifest) {
    const shards = group.paths.map((p) => {
      const shard = join(dirname(file), p);
      if (!existsSync(shard)) fail(`weight shard ${p} is missing (it belongs beside model.json)`);
      return readFileSync(shard);
    });
    const buf = Buffer.concat(shards);
    let at = 0;
    for (const w of group.weights) {
      if (w.quantization !== undefined) fail(`weight "${w.name}" is quantized; semic reads float32, int32 and bool weights (convert without --quantize)`);
      const width = bytesPer[w.dtype] ?? fail(`weight "${w.name}" has dtype ${w.dtype}; semic reads float32, int32 and bool weights`);
      const n = sizeOf(w.shape), end = at + n * width;
      if (end > buf.length) fail(`weight "${w.name}" [${w.shape.join(",")}] ends at byte ${end}, past the ${buf.length} bytes of its shards ${group.paths.join(", ")}`);
      const view = new DataView(buf.buffer, buf.byteOffset + at, n * width);
      const data = Array.from({ length: n }, (_, i) => (w.dtype === "float32" ? view.getFloat32(i * 4, true) : w.dtype === "int32" ? view.getInt32(i * 4, true) : view.getUint8(i)));
      out.set(w.name, konst(w.dtype === "float32" ? "float" : w.dtype === "int32" ? "int" : "bool", w.shape, data));
      at = end;
    }
    if (at !== buf.length) fail(`the shards ${group.paths.join(", ")} hold ${buf.length} bytes, the manifest describes ${at}`);
  }
  return out;
}
