// safetensors: read (F32, F16, BF16, I32, I64 → f32/i32) and write (deterministic bytes).

import { type SafetensorsDtype, type TensorData, type TensorMap, WeightsError, showShape, numelOf, isDim, elementPath } from "./tensors.ts";

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
  Uint8Array.prototype.slice.call(bytes, begin, end).buffer;

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
