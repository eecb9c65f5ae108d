// TF's shape and movement ops: Reshape, ExpandDims, Squeeze, Transpose, ConcatV2, Pack, SplitV,
// Slice and GatherV2 are ONNX's with Const inputs moved to attributes; Shape, Range, Prod and
// StridedSlice are shape arithmetic, evaluated at import time.

import { knownOps } from "../onnx/known.ts";
import { movementOps } from "../onnx/movement.ts";
import type { OnnxOp } from "../onnx/op.ts";
import { reduceOps } from "../onnx/reduce.ts";
import { concatAxis, konst, normAxis, vector, type ConstTensor } from "../onnx/tensor.ts";
import { constInput, inputName, knownInt, via } from "./via.ts";
import { sizeOf, stridesOf, unravel } from "../../../ir/types.ts";

const inputs = (n: number) => (ctx: Parameters<typeof inputName>[0]) => Array.from({ length: n }, (_, i) => inputName(ctx, i));

const reshape = via(movementOps["Reshape"]!, ["T", "Tshape"], (ctx) => ({ inputs: inputs(2)(ctx), attrs: { allowzero: 1 } }));
const expandDims = via(movementOps["Unsqueeze"]!, ["T", "Tdim"], (ctx) => ({ inputs: inputs(1)(ctx), attrs: { axes: [knownInt(ctx, 1, "dim")] } }));
const squeeze = via(movementOps["Squeeze"]!, ["T", "squeeze_dims"], (ctx) => {
  const dims = ctx.ints("squeeze_dims") ?? [];
  return { inputs: inputs(1)(ctx), ...(dims.length > 0 ? { attrs: { axes: dims } } : {}) };
});
const transpose = via(movementOps["Transpose"]!, ["T", "Tperm"], (ctx) => ({ inputs: inputs(1)(ctx), attrs: { perm: [...ctx.known(1, "perm").data] } }));

/** ConcatV2(x₁ … xₙ, axis). */
const concatV2 = via(movementOps["Concat"]!, ["T", "N", "Tidx"], (ctx) => {
  const n = ctx.current!.inputs.length - 1;
  return { inputs: inputs(n)(ctx), attrs: { axis: knownInt(ctx, n, "axis") } };
});

/** Pack(x₁ … xₙ) = Concat of each x with a unit axis inserted at `axis`. */
const pack: OnnxOp = {
  attrs: ["T", "N", "axis"],
  fold: (xs, ctx) => {
    const axis = normAxis(ctx.int("axis", 0), xs[0]!.shape.length + 1);
    return [concatAxis(xs.map((x) => konst(x!.kind, [...x!.shape.slice(0, axis), 1, ...x!.shape.slice(axis)], x!.data)), axis)];
  },
  lower: (ctx) => {
    const xs = ctx.current!.inputs.map((_, i) => ctx.need(i, "value"));
    const rank = ctx.shape(xs[0]!).length + 1;
    const axis = normAxis(ctx.int("axis", 0), rank);
    const parts = ctx.current!.inputs.map((name, i) => {
      const unsqueezed = via(movementOps["Unsqueeze"]!, [], () => ({ inputs: [name], attrs: { axes: [axis] } })).lower!(ctx)[0]!;
      ctx.set(`${ctx.current!.name}/part${i}`, unsqueezed);
      return `${ctx.current!.name}/part${i}`;
    });
    return via(movementOps["Concat"]!, [], () => ({ inputs: parts, attrs: { axis } })).lower!(ctx);
  },
};

/** SplitV(x, sizes, axis); a −1 size takes what the others leave. */
const splitV = via(movementOps["Split"]!, ["T", "Tlen", "num_split"], (ctx) => {
  const axis = knownInt(ctx, 2, "axis");
  const extent = ctx.shape(ctx.need(0, "value"))[normAxis(axis, ctx.shape(ctx.need(0, "value")).length)]!;
  const sizes = [...ctx.known(1, "size_splits").data];
  const free = sizes.indexOf(-1);
  if (free >= 0) sizes[free] = extent - sizes.reduce((s, d) => (d === -1 ? s : s + d), 0);
  return { inputs: inputs(1)(ctx), attrs: { axis, split: sizes } };
});

/** Slice(x, begin, size); size −1 runs to the end. */
const slice = via(movementOps["Slice"]!, ["T", "Index"], (ctx) => {
  const begin = ctx.known(1, "begin").data, size = ctx.known(2, "size").data;
  const ends = size.map((s, i) => (s === -1 ? Number.MAX_SAFE_INTEGER : begin[i]! + s));
  return { inputs: [inputName(ctx, 0), constInput(ctx, "starts", vector("int", begin)), constInput(ctx, "ends", vector("int", ends))] };
});

const gatherV2 = via(movementOps["Gather"]!, ["Tparams", "Tindices", "Taxis", "batch_dims"], (ctx) => {
  if (ctx.int("batch_dims", 0) !== 0) ctx.fail(`batch_dims ${ctx.int("batch_dims", 0)} is not supported`);
  return { inputs: inputs(2)(ctx), attrs: { axis: knownInt(ctx, 2, "axis") } };
});

const shape = via(knownOps["Shape"]!, ["T", "out_type"], (ctx) => ({ inputs: inputs(1)(ctx) }));
const range = via(knownOps["Range"]!, ["Tidx"], (ctx) => ({ inputs: inputs(3)(ctx) }));

/** Prod over known axes (shape arithmetic: the sizes a Tensordot reshapes to). */
const prod: OnnxOp = {
  attrs: ["T", "Tidx", "keep_dims"],
  fold: ([x, axesT], ctx) => {
    const axes = axesT!.data.map((a) => normAxis(a, x!.shape.length));
    const outShape = x!.shape.map((d, a) => (axes.includes(a) ? 1 : d));
    const acc = new Array<number>(sizeOf(outShape)).fill(1);
    const st = stridesOf(outShape);
    x!.data.forEach((v, i) => {
      const o = unravel(i, x!.shape).reduce((s, k, a) => s + (axes.includes(a) ? 0 : k * st[a]!), 0);
      acc[o] = acc[o]! * v;
    });
    return [konst(x!.kind, ctx.int("keep_dims", 0) ? outShape : x!.shape.filter((_, a) => !axes.includes(a)), acc)];
  },
};

/**
 * StridedSlice(x, begin, end, strides) on known tensors, with begin/end/shrink masks (bit k:
 * axis k). Ellipsis and new-axis masks are not supported.
 */
const stridedSlice: OnnxOp = {
  attrs: ["T", "Index", "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"],
  fold: ([x, b, e, s], ctx) => {
    if (ctx.int("ellipsis_mask", 0) || ctx.int("new_axis_mask", 0)) ctx.fail("ellipsis_mask and new_axis_mask are not supported");
    const [beginMask, endMask, shrink] = [ctx.int("begin_mask", 0), ctx.int("end_mask", 0), ctx.int("shrink_axis_mask", 0)];
    let t: ConstTensor = x!;
    const keep: boolean[] = [];
    x!.shape.forEach((n, a) => {
      if (a >= b!.data.length) return keep.push(true);
      const step = s!.data[a]!;
      if (step === 0) ctx.fail(`stride 0 on axis ${a}`);
      const norm = (v: number) => (v < 0 ? v + n : v);
      const clampFwd = (v: number) => Math.min(Math.max(norm(v), 0), n), clampBack = (v: number) => Math.min(Math.max(norm(v), -1), n - 1);
      const clamp = step > 0 ? clampFwd : clampBack;
      let start = beginMask & (1 << a) ? (step > 0 ? 0 : n - 1) : clamp(b!.data[a]!);
      let end = endMask & (1 << a) ? (step > 0 ? n : -1) : clamp(e!.data[a]!);
      if (shrink & (1 << a)) [start, end] = [norm(b!.data[a]!), norm(b!.data[a]!) + 1];
      const picks: number[] = [];
      for (let k = start; step > 0 ? k < end : k > end; k += shrink & (1 << a) ? 1 : step) picks.push(k);
      t = takeAxis(t, a, picks);
      keep.push(!(shrink & (1 << a)));
    });
    return [konst(t.kind, t.shape.filter((_, a) => keep[a]), t.data)];
  },
};

function takeAxis(x: ConstTensor, axis: number, picks: readonly number[]): ConstTensor {
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1)), n = x.shape[axis]!;
  const data: number[] = [];
  for (let o = 0; o < outer; o++) for (const p of picks) for (let i = 0; i < inner; i++) data.push(x.data[(o * n + p) * inner + i]!);
  return { kind: x.kind, shape: x.shape.map((d, a) => (a === axis ? picks.length : d)), data };
}

/** Mean, Sum and Max(axes): ONNX's reductions with axes as an input (opset 18), keep_dims as keepdims. */
const reduce = (name: string) => via(reduceOps[name]!, ["T", "Tidx", "keep_dims"], (ctx) => ({ inputs: inputs(2)(ctx), attrs: { keepdims: ctx.int("keep_dims", 0) } }));

export const movementTfOps: Record<string, OnnxOp> = {
  Reshape: reshape,
  ExpandDims: expandDims,
  Squeeze: squeeze,
  Transpose: transpose,
  ConcatV2: concatV2,
  Pack: pack,
  SplitV: splitV,
  Slice: slice,
  GatherV2: gatherV2,
  Shape: shape,
  Range: range,
  Prod: prod,
  StridedSlice: stridedSlice,
  Mean: reduce("ReduceMean"),
  Sum: reduce("ReduceSum"),
  Max: reduce("ReduceMax"),
  Identity: { attrs: ["T"], lower: (ctx) => [ctx.need(0, "input")] },
};
