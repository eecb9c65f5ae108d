// ONNX ops that move elements: Reshape and its relatives become semic reshapes, Transpose,
// Concat, Slice and Split map onto transpose, concat and slice; Gather is an embedding lookup
// (ids from a model input) or, with known indices, slices of its data.

import { isFoldable, type Lowering, type Val } from "./context.ts";
import type { OnnxOp } from "./op.ts";
import { concatAxis, konst, normAxis, permute, sliceAxis, take, type ConstTensor } from "./tensor.ts";
import { sizeOf } from "../../../ir/types.ts";

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The value reshaped; an alias when the shape does not change. */
export function reshapeTo(ctx: Lowering, v: Val, shape: readonly number[]): Val {
  if (same(ctx.shape(v), shape)) return v;
  if (isFoldable(v)) return { konst: konst(v.konst.kind, shape, v.konst.data) };
  return { node: ctx.add("reshape", [ctx.node(v)], { shape: [...shape] }) };
}

/** ONNX Reshape's target: 0 copies the input's dimension (unless allowzero), −1 takes the rest. */
function reshapeTarget(ctx: Lowering, from: readonly number[], want: readonly number[]): number[] {
  const allowZero = ctx.int("allowzero", 0) === 1;
  const shape = want.map((d, i) => (d === 0 && !allowZero ? (from[i] ?? ctx.fail(`shape [${want.join(",")}] copies dimension ${i} of a rank-${from.length} input`)) : d));
  const free = shape.indexOf(-1);
  const known = sizeOf(shape.filter((d) => d !== -1));
  if (free >= 0) shape[free] = sizeOf(from) / known;
  if (sizeOf(shape) !== sizeOf(from) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    ctx.fail(`cannot reshape [${from.join(",")}] to [${want.join(",")}]`);
  return shape;
}

/** Axes from an attribute (older opsets) or an input (newer ones). */
function axesOf(ctx: Lowering, input: number): number[] | undefined {
  const fromAttr = ctx.ints("axes");
  if (fromAttr) return fromAttr;
  return ctx.input(input) ? [...ctx.known(input, "axes").data] : undefined;
}

function unsqueezed(ctx: Lowering, shape: readonly number[]): number[] {
  const axes = axesOf(ctx, 1) ?? ctx.fail("axes are missing");
  const rank = shape.length + axes.length;
  const norm = new Set(axes.map((a) => normAxis(a, rank)));
  const out: number[] = [];
  let k = 0;
  for (let a = 0; a < rank; a++) out.push(norm.has(a) ? 1 : shape[k++]!);
  return out;
}

function squeezed(ctx: Lowering, shape: readonly number[]): number[] {
  const axes = axesOf(ctx, 1);
  const norm = axes ? new Set(axes.map((a) => normAxis(a, shape.length))) : undefined;
  for (const a of norm ?? []) if (shape[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of [${shape.join(",")}]: its extent is ${shape[a]}`);
  return shape.filter((d, a) => (norm ? !norm.has(a) : d !== 1));
}

/** A movement op on a value, folded when the value is known. */
const byShape = (attrs: string[], target: (ctx: Lowering, shape: readonly number[]) => readonly number[]): OnnxOp => ({
  attrs,
  lower: (ctx) => {
    const x = ctx.need(0, "data");
    return [reshapeTo(ctx, x, target(ctx, ctx.shape(x)))];
  },
});

function permOf(ctx: Lowering, rank: number): number[] {
  return ctx.ints("perm") ?? [...Array(rank).keys()].reverse();
}

const transpose: OnnxOp = {
  attrs: ["perm"],
  lower: (ctx) => {
    const x = ctx.need(0, "data");
    const perm = permOf(ctx, ctx.shape(x).length);
    if (perm.every((a, i) => a === i)) return [x];
    if (isFoldable(x)) return [{ konst: permute(x.konst, perm) }];
    return [{ node: ctx.add("transpose", [ctx.node(x)], { perm }) }];
  },
};

const concat: OnnxOp = {
  attrs: ["axis"],
  fold: (xs, ctx) => {
    const parts = xs.filter((x): x is ConstTensor => x !== undefined && sizeOf(x.shape) > 0);
    return [concatAxis(parts, normAxis(ctx.int("axis"), parts[0]!.shape.length))];
  },
  lower: (ctx) => {
    const xs = (ctx.current?.inputs ?? []).map((_, i) => ctx.need(i, "input")).filter((v) => sizeOf(ctx.shape(v)) > 0);
    const axis = normAxis(ctx.int("axis"), ctx.shape(xs[0]!).length);
    if (xs.length === 1) return [xs[0]!];
    return [{ node: ctx.add("concat", xs.map((v) => ctx.node(v)), { axis }) }];
  },
};

/** Slice along one axis with ONNX's clamping; an alias when it keeps everything. */
function sliceOne(ctx: Lowering, v: Val, axis: number, start: number, end: number, step = 1): Val {
  const n = ctx.shape(v)[axis]!;
  const clamp = (b: number, lo: number, hi: number) => Math.min(Math.max(b < 0 ? b + n : b, lo), hi);
  const [s, e] = step > 0 ? [clamp(start, 0, n), clamp(end, 0, n)] : [clamp(start, 0, n - 1), clamp(end, -1, n - 1)];
  if (step === 1 && s === 0 && e === n) return v;
  if (isFoldable(v)) return { konst: sliceAxis(v.konst, axis, s, e, step) };
  if (step !== 1) ctx.fail(`step ${step} on axis ${axis}: semic slices with step 1 only`);
  if (e <= s) ctx.fail(`slice ${start}:${end} of axis ${axis} (extent ${n}) is empty`);
  return { node: ctx.add("slice", [ctx.node(v)], { axis, start: s, end: e }) };
}

const slice: OnnxOp = {
  attrs: ["starts", "ends", "axes"],
  lower: (ctx) => {
    let v = ctx.need(0, "data");
    const rank = ctx.shape(v).length;
    const fromInputs = ctx.model.opset >= 10;
    const starts = fromInputs ? ctx.known(1, "starts").data : (ctx.ints("starts") ?? []);
    const ends = fromInputs ? ctx.known(2, "ends").data : (ctx.ints("ends") ?? []);
    const axes = (fromInputs ? (ctx.input(3) ? ctx.known(3, "axes").data : undefined) : ctx.ints("axes")) ?? starts.map((_, i) => i);
    const steps = fromInputs && ctx.input(4) ? ctx.known(4, "steps").data : starts.map(() => 1);
    axes.forEach((a, i) => (v = sliceOne(ctx, v, normAxis(a, rank), starts[i]!, ends[i]!, steps[i])));
    return [v];
  },
};

const split: OnnxOp = {
  attrs: ["axis", "split", "num_outputs"],
  lower: (ctx) => {
    const x = ctx.need(0, "input");
    const shape = ctx.shape(x);
    const axis = normAxis(ctx.int("axis", 0), shape.length);
    const outs = ctx.current?.outputs.length ?? 1;
    const n = shape[axis]!;
    const sizes = ctx.input(1) ? [...ctx.known(1, "split").data] : (ctx.ints("split") ?? Array.from({ length: outs }, (_, i) => Math.min(Math.ceil(n / outs), n - i * Math.ceil(n / outs))));
    if (sizes.reduce((s, d) => s + d, 0) !== n || sizes.length !== outs) ctx.fail(`split sizes [${sizes.join(",")}] do not divide extent ${n} of axis ${axis} into ${outs} outputs`);
    let at = 0;
    return sizes.map((d) => sliceOne(ctx, x, axis, at, (at += d)));
  },
};

/** Gather(data, indices, axis): an embedding lookup, or slices of data at known indices. */
const gather: OnnxOp = {
  attrs: ["axis"],
  lower: (ctx) => {
    const data = ctx.need(0, "data"), ids = ctx.need(1, "indices");
    const shape = ctx.shape(data);
    const axis = normAxis(ctx.int("axis", 0), shape.length);
    if (!isFoldable(ids)) {
      if (axis !== 0) ctx.fail(`indices computed by the model are supported on axis 0 only (an embedding lookup), got axis ${axis}`);
      if (ctx.type(ids).dtype !== "i32") ctx.fail(`indices must be integers`);
      return [{ node: ctx.add("gather", [ctx.node(data), ctx.node(ids)]) }];
    }
    const n = shape[axis]!;
    const picks = ids.konst.data.map((i) => {
      const k = i < 0 ? i + n : i;
      if (!Number.isInteger(k) || k < 0 || k >= n) ctx.fail(`index ${i} is out of range for axis ${axis} of extent ${n}`);
      return k;
    });
    if (isFoldable(data)) return [{ konst: take(data.konst, axis, picks, ids.konst.shape) }];
    return [gatherKnown(ctx, data, axis, picks, ids.konst.shape)];
  },
};

/** data[…, picks, …] as slices of consecutive runs, concatenated, reshaped to the index shape. */
function gatherKnown(ctx: Lowering, data: Val, axis: number, picks: readonly number[], idShape: readonly number[]): Val {
  const runs: [number, number][] = [];
  for (const p of picks) {
    const last = runs[runs.length - 1];
    if (last && last[1] === p) last[1] = p + 1;
    else runs.push([p, p + 1]);
  }
  const parts = runs.map(([s, e]) => sliceOne(ctx, data, axis, s, e));
  const joined = parts.length === 1 ? parts[0]! : { node: ctx.add("concat", parts.map((v) => ctx.node(v)), { axis }) };
  const shape = ctx.shape(data);
  return reshapeTo(ctx, joined, [...shape.slice(0, axis), ...idShape, ...shape.slice(axis + 1)]);
}

/** Expand: broadcast to a shape; on a model value, an add of zeros (weight-1 edges). */
const expand: OnnxOp = {
  attrs: [],
  lower: (ctx) => {
    const x = ctx.need(0, "input");
    const want = ctx.known(1, "shape").data;
    const from = ctx.shape(x);
    const rank = Math.max(from.length, want.length);
    const shape = Array.from({ length: rank }, (_, a) => {
      const d = from[from.length - rank + a] ?? 1, w = want[want.length - rank + a] ?? 1;
      if (d !== w && d !== 1 && w !== 1) ctx.fail(`cannot expand [${from.join(",")}] to [${want.join(",")}]`);
      return Math.max(d, w);
    });
    if (same(from, shape)) return [x];
    const zeros: ConstTensor = konst("float", shape, new Array<number>(sizeOf(shape)).fill(0));
    if (isFoldable(x)) {
      const k = x.konst;
      const picked = zeros.data.map((_, i) => {
        let f = i, off = 0, stride = 1;
        for (let a = rank - 1; a >= 0; a--) {
          const idx = f % shape[a]!;
          f = Math.floor(f / shape[a]!);
          const ax = a - (rank - from.length);
          if (ax >= 0) {
            if (from[ax] !== 1) off += idx * stride;
            stride *= from[ax]!;
          }
        }
        return k.data[off]!;
      });
      return [{ konst: konst(k.kind, shape, picked) }];
    }
    return [{ node: ctx.add("add", [ctx.node(x), ctx.node({ konst: zeros })]) }];
  },
};

export const movementOps: Record<string, OnnxOp> = {
  Reshape: { attrs: ["allowzero"], lower: (ctx) => [reshapeTo(ctx, ctx.need(0, "data"), reshapeTarget(ctx, ctx.shape(ctx.need(0, "data")), ctx.known(1, "shape").data))] },
  Unsqueeze: byShape(["axes"], unsqueezed),
  Squeeze: byShape(["axes"], squeezed),
  Flatten: byShape(["axis"], (ctx, s) => {
    const axis = ctx.int("axis", 1);
    const a = axis < 0 ? axis + s.length : axis;
    return [sizeOf(s.slice(0, a)), sizeOf(s.slice(a))];
  }),
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Split: split,
  Gather: gather,
  Expand: expand,
};
