// What a (possibly corrupted) tensor file says, read without semic's loaders: JSON.parse plus a
// rectangularity check, and a from-scratch safetensors reader (8-byte little-endian header
// length, JSON header, little-endian data). Binding follows the documented contract: names and
// shapes match exactly, f32 values are stored as f32, i32 values are integers. Any problem is
// an exception: the file does not say anything usable.

import type { Graph } from "../../ir/graph.ts";
import { opRules } from "../../ir/ops/index.ts";
import { sizeOf } from "../../ir/types.ts";

export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}
export type RefTensors = ReadonlyMap<string, RefTensor>;

function fromNested(v: unknown, what: string): RefTensor {
  if (typeof v === "number") return { shape: [], data: [v] };
  if (!Array.isArray(v)) throw new Error(`${what}: not a number or an array`);
  if (v.length === 0) return { shape: [0], data: [] };
  const parts = v.map((x, i) => fromNested(x, `${what}[${i}]`));
  const inner = parts[0]!.shape;
  if (parts.some((p) => p.shape.join() !== inner.join())) throw new Error(`${what}: ragged`);
  return { shape: [v.length, ...inner], data: parts.flatMap((p) => p.data) };
}

export function readJsonRef(bytes: Uint8Array): RefTensors {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const obj: unknown = JSON.parse(text);
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error("not an object");
  return new Map(Object.entries(obj).map(([k, v]) => [k, fromNested(v, k)]));
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const dtypes: Readonly<Record<string, { size: number; read: (v: DataView, at: number) => number }>> = {
  F32: { size: 4, read: (v, at) => v.getFloat32(at, true) },
  F64: { size: 8, read: (v, at) => v.getFloat64(at, true) },
  F16: { size: 2, read: (v, at) => f16(v.getUint16(at, true)) },
  BF16: { size: 2, read: (v, at) => new Float32Array(new Uint32Array([v.getUint16(at, true) << 16]).buffer)[0]! },
  I32: { size: 4, read: (v, at) => v.getInt32(at, true) },
};

export function readSafetensorsRef(bytes: Uint8Array): RefTensors {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new Error("shorter than the header length");
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error("header past the end");
  const header: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new Error("header not an object");
  const out = new Map<string, RefTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dt = dtypes[dtype];
    if (!dt) throw new Error(`${name}: dtype ${dtype}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${name}: shape`);
    const [b, e] = offsets;
    if (!(Number.isInteger(b) && Number.isInteger(e) && 0 <= b && b <= e && 8 + n + e <= bytes.length)) throw new Error(`${name}: offsets`);
    if (e - b !== sizeOf(shape) * dt.size) throw new Error(`${name}: ${e - b} bytes for shape [${shape.join(",")}]`);
    const data = Array.from({ length: sizeOf(shape) }, (_, i) => dt.read(view, 8 + n + b + i * dt.size));
    out.set(name, { shape, data });
  }
  return out;
}

/** The graph's params or inputs bound from a file's tensors; throws on any mismatch. */
export function bindRef(g: Graph, kind: "param" | "input", given: RefTensors, allowExtra: boolean): Record<string, number[]> {
  const feeds: Record<string, number[]> = {};
  const leaves = g.nodes.filter((n) => opRules[n.op].role === kind);
  for (const n of leaves) {
    const name = String(n.attrs["name"]);
    const t = given.get(name);
    if (!t) throw new Error(`${kind} ${name} missing`);
    if (t.shape.join() !== n.type.shape.join()) throw new Error(`${kind} ${name}: shape [${t.shape.join(",")}]`);
    if (n.type.dtype === "i32") {
      if (!t.data.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31)) throw new Error(`${kind} ${name}: not integers`);
      feeds[name] = [...t.data];
    } else feeds[name] = t.data.map(Math.fround);
  }
  if (!allowExtra) {
    const extra = [...given.keys()].filter((k) => !leaves.some((n) => n.attrs["name"] === k));
    if (extra.length > 0) throw new Error(`unexpected tensors ${extra.join(", ")}`);
  }
  return feeds;
}
