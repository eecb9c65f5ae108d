// Binding what a file holds to what a model expects: every missing, unexpected or mis-shaped
// tensor is listed at once.

import { type TensorData, WeightsError, showShape, numelOf, sameShape, elementPath } from "./tensors.ts";

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
  /** What the model expects from the other file (its inputs when binding params, and the reverse), to say where a misplaced tensor belongs. */
  others?: readonly ExpectedTensor[];
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

// No escape hatch: a NaN weight makes every readout NaN, and an infinite one turns products into
// NaN (∞·0) or masks every path; a mask is written with a large finite value (-1e9), as JSON,
// which has no Infinity, already requires.
const finiteWhy = "weights and inputs must be finite (write a mask as a large finite value such as -1e9)";

/** The first non-finite element and how many there are. */
function nonFinite(data: TensorData): { first: number; count: number } {
  let first = -1, count = 0;
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i]!)) continue;
    if (count++ === 0) first = i;
  }
  return { first, count };
}

/**
 * Match what a file provides against what the model expects. Shapes must match exactly
 * (a scalar [] and a [1] are different); i32 tensors must hold integers in range; f32
 * tensors must be finite, and given as integers are widened. All problems are reported in one WeightsError.
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
      const bad = nonFinite(g.data);
      if (bad.count > 0) {
        const more = bad.count > 1 ? ` (${bad.count} non-finite values in all)` : "";
        problems.push(`${e.kind} ${e.name}: ${elementPath(e.name, g.shape, bad.first)} is ${g.data[bad.first]} in ${source}${more}; ${finiteWhy}`);
        culprits.push(e.name);
        continue;
      }
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
    // A tensor in the wrong one of the two files is named as such, not as unknown.
    const otherKind = new Map((options.others ?? []).map((o) => [o.name, o.kind]));
    for (const n of extra.filter((n) => otherKind.has(n))) {
      const kind = otherKind.get(n)!;
      const belongs = kind === "param" ? "a param of the model: it belongs in the params file (--params)" : "an input of the model: it belongs in the inputs file (--inputs)";
      problems.push(`${n} ${showShape(given.get(n)!.shape)} in ${source} is ${belongs}`);
    }
    const unknown = extra.filter((n) => !otherKind.has(n));
    const list = unknown.map((n) => `${n} ${showShape(given.get(n)!.shape)}`);
    if (unknown.length > 0) problems.push(`unexpected tensors in ${source} (the model has no param or input with these names): ${list.join(", ")}`);
    culprits.push(...extra);
  }
  if (problems.length > 0) {
    throw new WeightsError(source, problems.join("\n"), culprits.length === 1 ? culprits[0] : undefined);
  }
  return { tensors: Object.fromEntries(entries), ignored: options.allowExtra ? extra : [] };
}
