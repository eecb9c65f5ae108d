// Loading model weights and inputs: safetensors (read and write), JSON nested arrays,
// and binding what a file holds to what a model expects (names, shapes, dtypes).
//
// Every problem with a file is a WeightsError naming the file and, where there is one,
// the tensor; binding errors list every missing / unexpected / mis-shaped tensor at once.

import { readFileSync } from "node:fs";

export type SafetensorsDtype = "F32" | "F16" | "BF16" | "I32" | "I64";
export type TensorData = Float32Array | Int32Array;

/** A tensor as read from a file. F16/BF16 are widened to f32, I64 narrowed to i32. */
export interface LoadedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export type TensorMap = Map<string, LoadedTensor>;

/** A nested-array value: a number for a scalar, arrays of arrays … of numbers otherwise. */
export type Nested = number | Nested[];

/** A weights or inputs file could not be read, or does not fit the model. */
export class WeightsError extends Error {
  readonly code = "E_WEIGHTS";
  constructor(
    /** The file (or source description) at fault. */
    readonly file: string,
    message: string,
    /** The tensor at fault, when there is exactly one. */
    readonly tensor?: string,
  ) {
    super(message);
    this.name = "WeightsError";
  }
}

// ---------------------------------------------------------------------------------
// shapes

export const showShape = (shape: readonly number[]): string => `[${shape.join(",")}]`;

const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const isDim = (d: unknown): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0;

/** `x[1][2]` for flat index 5 of shape [2,3] (or just `x` for a scalar). */
function elementPath(name: string, shape: readonly number[], flat: number): string {
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    idx.push(flat % d);
    flat = Math.floor(flat / d);
  }
  return name + idx.reverse().map((i) => `[${i}]`).join("");
}

// ---------------------------------------------------------------------------------
// safetensors

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const DTYPE_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };
const isDtype = (d: unknown): d is SafetensorsDtype =>
  typeof d === "string" && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, d);

/** The safetensors reference implementation refuses headers above 100 MB. */
const MAX_HEADER = 100_000_000;

/** Exact IEEE binary16 → binary32 bit conversion (subnormals, ±inf, NaN payloads). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exp = (h >> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0; // inf / nan
  if (exp === 0) {
    if (frac === 0) return sign >>> 0; // ±0
    // subnormal: normalise (value = frac · 2^-24)
    exp = 1;
    while ((frac & 0x400) === 0) {
      frac <<= 1;
      exp--;
    }
    frac &= 0x3ff;
  }
  return (sign | ((exp + 127 - 15) << 23) | (frac << 13)) >>> 0;
}

/** The f32 value of a binary16 bit pattern. */
export function f16ToNumber(h: number): number {
  const u = new Uint32Array([f16BitsToF32Bits(h)]);
  return new Float32Array(u.buffer)[0]!;
}

/** The f32 value of a bfloat16 bit pattern. */
export function bf16ToNumber(h: number): number {
  const u = new Uint32Array([(h & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0]!;
}

/** Copy a byte range into a fresh, aligned ArrayBuffer. */
const copyRange = (bytes: Uint8Array, begin: number, end: number): ArrayBuffer =>
  Uint8Array.prototype.slice.call(bytes, begin, end).buffer as ArrayBuffer;

function decodeTensor(
  file: string,
  name: string,
  dtype: SafetensorsDtype,
  shape: number[],
  bytes: Uint8Array,
  begin: number,
  end: number,
): TensorData {
  const n = numelOf(shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset + begin, end - begin);
  switch (dtype) {
    case "F32": {
      if (littleEndian) return new Float32Array(copyRange(bytes, begin, end));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case "I32": {
      if (littleEndian) return new Int32Array(copyRange(bytes, begin, end));
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case "F16":
    case "BF16": {
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      if (dtype === "F16") for (let i = 0; i < n; i++) bits[i] = f16BitsToF32Bits(view.getUint16(2 * i, true));
      else for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        if (hi !== lo >> 31) {
          throw new WeightsError(
            file,
            `${file}: tensor '${name}' (I64): value ${view.getBigInt64(8 * i, true)} at ${elementPath(name, shape, i)} ` +
              `is outside the i32 range [-2147483648, 2147483647]`,
            name,
          );
        }
        out[i] = lo;
      }
      return out;
    }
  }
}

/**
 * Parse a safetensors file: an 8-byte little-endian header length N, N bytes of JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`,
 * then the data section (offsets are relative to its start).
 */
export function readSafetensors(bytes: Uint8Array, file = "<bytes>"): TensorMap {
  const fail = (msg: string, tensor?: string): never => {
    throw new WeightsError(file, `${file}: ${msg}`, tensor);
  };
  if (bytes.length < 8) {
    fail(`truncated or not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length`);
  }
  // A node Buffer's slice() is a view, not a copy: work on a plain Uint8Array.
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenLo = dv.getUint32(0, true);
  const lenHi = dv.getUint32(4, true);
  const headerLen = lenHi * 2 ** 32 + lenLo;
  if (headerLen > MAX_HEADER) {
    fail(`header length ${headerLen} is implausibly large (limit ${MAX_HEADER}): corrupted or not a safetensors file`);
  }
  if (headerLen < 2) fail(`header length ${headerLen} is too small for a JSON header: corrupted file`);
  if (8 + headerLen > bytes.length) {
    fail(`truncated file: header length ${headerLen} needs ${8 + headerLen} bytes but the file has ${bytes.length}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail(`corrupted header: not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`corrupted header: not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail(`corrupted header: expected a JSON object, got ${Array.isArray(header) ? "an array" : typeof header}`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const data = bytes.subarray(dataStart);

  interface Entry {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      const ok =
        typeof raw === "object" &&
        raw !== null &&
        !Array.isArray(raw) &&
        Object.values(raw).every((v) => typeof v === "string");
      if (!ok) fail(`corrupted header: __metadata__ must be an object of strings`);
      continue;
    }
    const t = `tensor '${name}'`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      fail(`corrupted header: ${t} is not an object`, name);
    }
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isDtype(dtype)) {
      fail(
        typeof dtype === "string"
          ? `${t}: unsupported dtype ${dtype} (supported: F32, F16, BF16, I32, I64)`
          : `corrupted header: ${t} has no dtype`,
        name,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isDim)) {
      fail(`corrupted header: ${t} has an invalid shape ${JSON.stringify(shape)}`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDim)) {
      fail(`corrupted header: ${t} has invalid data_offsets ${JSON.stringify(offsets)}`, name);
    }
    const dt = dtype as SafetensorsDtype;
    const sh = shape as number[];
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`corrupted header: ${t} has data_offsets [${begin},${end}] with begin > end`, name);
    if (end > dataLen) {
      fail(
        `${t}: data_offsets [${begin},${end}] out of range: the data section has only ${dataLen} bytes (truncated file?)`,
        name,
      );
    }
    const need = numelOf(sh) * DTYPE_SIZE[dt];
    if (!Number.isSafeInteger(need) || end - begin !== need) {
      fail(
        `${t}: data_offsets [${begin},${end}] span ${end - begin} bytes but ${dt} × ${showShape(sh)} needs ${need}`,
        name,
      );
    }
    entries.push({ name, dtype: dt, shape: sh, begin, end });
  }

  const byOffset = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < byOffset.length; i++) {
    const p = byOffset[i - 1]!;
    const q = byOffset[i]!;
    if (q.begin < p.end) {
      fail(
        `corrupted header: tensors '${p.name}' [${p.begin},${p.end}) and '${q.name}' [${q.begin},${q.end}) overlap`,
        q.name,
      );
    }
  }

  const out: TensorMap = new Map();
  for (const e of entries) {
    out.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeTensor(file, e.name, e.dtype, e.shape, data, e.begin, e.end) });
  }
  return out;
}

/**
 * Serialise tensors as safetensors (F32 for Float32Array, I32 for Int32Array), in
 * sorted name order, header padded with spaces to an 8-byte boundary. Deterministic.
 */
export function writeSafetensors(
  tensors: Record<string, { shape: readonly number[]; data: Float32Array | Int32Array }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const parts: string[] = [];
  if (metadata) {
    const keys = Object.keys(metadata).sort();
    for (const k of keys) {
      if (typeof metadata[k] !== "string") throw new WeightsError("<write>", `metadata '${k}' must be a string`);
    }
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`);
  }
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name]!;
    if (name === "__metadata__" || name === "") throw new WeightsError("<write>", `invalid tensor name '${name}'`, name);
    if (!shape.every(isDim)) throw new WeightsError("<write>", `tensor '${name}': invalid shape ${JSON.stringify(shape)}`, name);
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw new WeightsError("<write>", `tensor '${name}': data must be a Float32Array or Int32Array`, name);
    }
    if (data.length !== numelOf(shape)) {
      throw new WeightsError(
        "<write>",
        `tensor '${name}': shape ${showShape(shape)} has ${numelOf(shape)} elements but the data has ${data.length}`,
        name,
      );
    }
    const dtype = data instanceof Float32Array ? "F32" : "I32";
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${showShape(shape)},"data_offsets":[${offset},${offset + data.byteLength}]}`,
    );
    offset += data.byteLength;
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil((8 + header.length) / 8) * 8 - 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, header.length, true);
  dv.setUint32(4, 0, true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const name of names) {
    const { data } = tensors[name]!;
    if (littleEndian) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else {
      for (let i = 0; i < data.length; i++) {
        if (data instanceof Float32Array) dv.setFloat32(at + 4 * i, data[i]!, true);
        else dv.setInt32(at + 4 * i, data[i]!, true);
      }
    }
    at += data.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// nested arrays and JSON

const describe = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "an array"
      : typeof v === "string"
        ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`
        : typeof v === "object"
          ? "an object"
          : `${typeof v} ${String(v)}`;

/** Flat row-major data → nested arrays (a number for shape []). */
export function toNested(data: ArrayLike<number>, shape: readonly number[]): Nested {
  if (!shape.every(isDim)) throw new Error(`toNested: invalid shape ${JSON.stringify(shape)}`);
  if (data.length !== numelOf(shape)) {
    throw new Error(`toNested: shape ${showShape(shape)} has ${numelOf(shape)} elements but the data has ${data.length}`);
  }
  let at = 0;
  const build = (k: number): Nested => {
    if (k === shape.length) return data[at++]!;
    const out: Nested[] = [];
    for (let i = 0; i < shape[k]!; i++) out.push(build(k + 1));
    return out;
  };
  return build(0);
}

/**
 * Nested arrays (or a plain number) → shape and flat row-major f32 data. `name` is used
 * in error messages, which give the path of the offending element (`x[2][1]`);
 * errors are WeightsErrors against `file`.
 */
export function fromNested(value: unknown, name = "value", file = "<value>"): { shape: number[]; data: Float32Array } {
  const fail = (path: string, msg: string): never => {
    throw new WeightsError(file, `${file}: tensor '${name}': ${path}: ${msg}`, name);
  };
  // infer the shape from the first element at each level
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = new Float32Array(numelOf(shape));
  let at = 0;
  const walk = (v: unknown, k: number, path: string): void => {
    if (k === shape.length) {
      if (typeof v !== "number") {
        fail(
          path,
          Array.isArray(v)
            ? `ragged array: expected a number (like the first element), got an array`
            : k === 0
              ? `expected a number or nested arrays of numbers, got ${describe(v)}`
              : `expected a number, got ${describe(v)}`,
        );
      }
      const x = v as number;
      if (!Number.isFinite(x)) fail(path, `expected a finite number, got ${x}`);
      const f = Math.fround(x);
      if (!Number.isFinite(f)) fail(path, `value ${x} overflows f32`);
      data[at++] = f;
      return;
    }
    if (!Array.isArray(v)) {
      fail(
        path,
        typeof v === "number"
          ? `ragged array: expected an array of ${shape[k]} (like the first element), got a number`
          : `expected an array of ${shape[k]}, got ${describe(v)}`,
      );
    }
    const a = v as unknown[];
    if (a.length !== shape[k]) {
      fail(path, `ragged array: expected ${shape[k]} elements (like the first element at this depth), got ${a.length}`);
    }
    for (let i = 0; i < a.length; i++) walk(a[i], k + 1, `${path}[${i}]`);
  };
  walk(value, 0, name);
  return { shape, data };
}

/** A JSON object of nested arrays (or plain numbers for scalars) keyed by tensor name. */
export function readJsonTensors(text: string, file = "<json>"): TensorMap {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new WeightsError(file, `${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new WeightsError(
      file,
      `${file}: expected a JSON object keyed by tensor name, got ${Array.isArray(obj) ? "an array" : describe(obj)}`,
    );
  }
  const out: TensorMap = new Map();
  for (const [name, value] of Object.entries(obj)) {
    const { shape, data } = fromNested(value, name, file);
    out.set(name, { dtype: "F32", shape, data });
  }
  return out;
}

/** Read a `.safetensors` or `.json` tensor file from disk. */
export function loadTensorFile(path: string): TensorMap {
  const lower = path.toLowerCase();
  const kind = lower.endsWith(".safetensors") ? "safetensors" : lower.endsWith(".json") ? "json" : undefined;
  if (!kind) {
    throw new WeightsError(path, `${path}: unsupported tensor file type (expected a .safetensors or .json file)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.code ?? err.message;
    throw new WeightsError(path, `${path}: cannot read tensor file (${why})`);
  }
  if (kind === "safetensors") return readSafetensors(bytes, path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new WeightsError(path, `${path}: not valid UTF-8 text`);
  }
  return readJsonTensors(text, path);
}

// ---------------------------------------------------------------------------------
// binding to a model

export interface ExpectedTensor {
  name: string;
  shape: readonly number[];
  dtype: "f32" | "i32";
  kind: "param" | "input";
}

export interface BindOptions {
  /** Ignore (and report in `ignored`) tensors the model does not use, e.g. a checkpoint's pooler head. */
  allowExtra?: boolean;
}

export interface BoundTensors {
  /** One entry per expected tensor, converted to its dtype. */
  tensors: Record<string, TensorData>;
  /** Given tensors the model does not use (only non-empty with `allowExtra`), sorted. */
  ignored: string[];
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * Match what a file provides against what the model expects. Shapes must match exactly
 * (a scalar [] and a [1] are different); i32 tensors must hold integers in range; f32
 * tensors given as integers are widened. All problems are reported in one WeightsError.
 */
export function bindTensors(
  expected: readonly ExpectedTensor[],
  given: ReadonlyMap<string, { shape: readonly number[]; data: TensorData }>,
  source: string,
  options: BindOptions = {},
): BoundTensors {
  const problems: string[] = [];
  const culprits: string[] = [];
  const expectedNames = new Set<string>();
  const entries: [string, TensorData][] = [];
  const missing: ExpectedTensor[] = [];

  for (const e of expected) {
    if (expectedNames.has(e.name)) throw new Error(`bindTensors: '${e.name}' is expected twice`);
    expectedNames.add(e.name);
    const g = given.get(e.name);
    if (!g) {
      missing.push(e);
      continue;
    }
    if (!sameShape(e.shape, g.shape)) {
      const show = (s: readonly number[]) => (s.length === 0 ? "[] (scalar)" : showShape(s));
      problems.push(`${e.kind} ${e.name}: expected ${show(e.shape)}, got ${show(g.shape)} in ${source}`);
      culprits.push(e.name);
      continue;
    }
    if (g.data.length !== numelOf(g.shape)) {
      problems.push(`${e.kind} ${e.name}: shape ${showShape(g.shape)} but ${g.data.length} values in ${source}`);
      culprits.push(e.name);
      continue;
    }
    if (e.dtype === "f32") {
      entries.push([e.name, g.data instanceof Float32Array ? g.data : Float32Array.from(g.data)]);
      continue;
    }
    if (g.data instanceof Int32Array) {
      entries.push([e.name, g.data]);
      continue;
    }
    const out = new Int32Array(g.data.length);
    let bad = -1;
    for (let i = 0; i < g.data.length; i++) {
      const v = g.data[i]!;
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        bad = i;
        break;
      }
      out[i] = v;
    }
    if (bad >= 0) {
      const v = g.data[bad]!;
      const why = Number.isInteger(v) ? " (outside the i32 range)" : "";
      problems.push(
        `${e.kind} ${e.name}: expected integers (i32), got ${v}${why} at ${elementPath(e.name, g.shape, bad)} in ${source}`,
      );
      culprits.push(e.name);
      continue;
    }
    entries.push([e.name, out]);
  }

  const extra = [...given.keys()].filter((n) => !expectedNames.has(n)).sort();

  if (missing.length > 0) {
    const list = missing.map((e) => {
      const near = extra.find(
        (x) => x.toLowerCase() === e.name.toLowerCase() || editDistance(x, e.name) <= Math.min(2, e.name.length >> 1),
      );
      return `${e.kind} ${e.name} ${showShape(e.shape)}${near !== undefined ? ` (did you mean '${near}'?)` : ""}`;
    });
    problems.unshift(`missing tensors in ${source}: ${list.join(", ")}`);
    culprits.push(...missing.map((e) => e.name));
  }
  if (extra.length > 0 && !options.allowExtra) {
    const list = extra.map((n) => `${n} ${showShape(given.get(n)!.shape)}`);
    problems.push(`unexpected tensors in ${source} (the model has no param or input with these names): ${list.join(", ")}`);
    culprits.push(...extra);
  }
  if (problems.length > 0) {
    throw new WeightsError(source, problems.join("\n"), culprits.length === 1 ? culprits[0] : undefined);
  }
  return { tensors: Object.fromEntries(entries), ignored: options.allowExtra ? extra : [] };
}
