// Tensors known at import time: ONNX initializers, Constant nodes and everything computed from
// them (shape arithmetic, masks). Values are plain numbers; int64 shape values fit in a double.

import { ShapeError, sizeOf, stridesOf, unravel } from "../../../ir/types.ts";
import { broadcastShapes } from "../../../ir/ops/rule.ts";

export type ConstKind = "float" | "int" | "bool";

export interface ConstTensor {
  readonly kind: ConstKind;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export function konst(kind: ConstKind, shape: readonly number[], data: readonly number[]): ConstTensor {
  if (data.length !== sizeOf(shape)) throw new ShapeError(`${data.length} values do not fill shape [${shape.join(",")}]`);
  return { kind, shape: [...shape], data: [...data] };
}

export const scalar = (kind: ConstKind, v: number): ConstTensor => konst(kind, [], [v]);
export const vector = (kind: ConstKind, vs: readonly number[]): ConstTensor => konst(kind, [vs.length], vs);

/** Elementwise map over broadcast operands. */
export function zipWith(kind: ConstKind, xs: readonly ConstTensor[], f: (...v: number[]) => number): ConstTensor {
  const shape = broadcastShapes(xs.map((x) => x.shape));
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  const st = xs.map((x) => {
    const s = stridesOf(x.shape);
    const off = shape.length - x.shape.length;
    return shape.map((_, a) => (a < off || x.shape[a - off] === 1 ? 0 : s[a - off]!));
  });
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(...xs.map((x, k) => x.data[idx.reduce((o, v, a) => o + v * st[k]![a]!, 0)]!));
  }
  return { kind, shape, data };
}

/** Normalises a possibly negative axis. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** y = x with axes permuted (y.shape[a] = x.shape[perm[a]]). */
export function permute(x: ConstTensor, perm: readonly number[]): ConstTensor {
  const shape = perm.map((a) => x.shape[a]!);
  const st = stridesOf(x.shape);
  const data = Array.from({ length: x.data.length }, (_, i) => {
    const idx = unravel(i, shape);
    return x.data[idx.reduce((o, v, a) => o + v * st[perm[a]!]!, 0)]!;
  });
  return { kind: x.kind, shape, data };
}

/** Elements [start, end) along `axis`. */
export function sliceAxis(x: ConstTensor, axis: number, start: number, end: number, step = 1): ConstTensor {
  const picks: number[] = [];
  for (let k = start; step > 0 ? k < end : k > end; k += step) picks.push(k);
  return take(x, axis, picks, [picks.length]);
}

/** Elements at `picks` along `axis`, the picked axis replaced by `pickShape`. */
export function take(x: ConstTensor, axis: number, picks: readonly number[], pickShape: readonly number[]): ConstTensor {
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1)), n = x.shape[axis]!;
  const data: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const p of picks) for (let i = 0; i < inner; i++) data.push(x.data[(o * n + p) * inner + i]!);
  return { kind: x.kind, shape: [...x.shape.slice(0, axis), ...pickShape, ...x.shape.slice(axis + 1)], data };
}

export function concatAxis(xs: readonly ConstTensor[], axis: number): ConstTensor {
  const first = xs[0]!;
  const outer = sizeOf(first.shape.slice(0, axis)), inner = sizeOf(first.shape.slice(axis + 1));
  const data: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const x of xs) {
      const n = x.shape[axis]! * inner;
      for (let i = 0; i < n; i++) data.push(x.data[o * n + i]!);
    }
  const total = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const kind = xs.some((x) => x.kind === "float") ? "float" : first.kind;
  return { kind, shape: first.shape.map((d, a) => (a === axis ? total : d)), data };
}
