// JSON tensors: an object of nested arrays by name; shapes come from the nesting.

import { type TensorMap, type Nested, WeightsError, showShape, numelOf, isDim } from "./tensors.ts";

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
          : typeof v === "number" || typeof v === "boolean" || typeof v === "bigint"
            ? `${typeof v} ${String(v)}`
            : typeof v;

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
