// ReduceMean and ReduceSum onto semic's mean and sum (then a reshape for keepdims). ReduceMax is
// evaluated on known tensors only: semic's max carries no gradient edges (it is a softmax shift).

import type { OpName } from "../../../ir/ops/index.ts";
import type { Lowering } from "./context.ts";
import { reshapeTo } from "./movement.ts";
import type { OnnxOp } from "./op.ts";
import { konst, normAxis, type ConstTensor } from "./tensor.ts";
import { sizeOf, stridesOf, unravel } from "../../../ir/types.ts";

/** Reduced axes (sorted), or undefined for "no reduction" (noop_with_empty_axes). */
function axesOf(ctx: Lowering, rank: number, fromInput: boolean): number[] | undefined {
  const listed = fromInput ? (ctx.input(1) ? [...ctx.known(1, "axes").data] : []) : (ctx.ints("axes") ?? []);
  if (listed.length === 0) return ctx.int("noop_with_empty_axes", 0) ? undefined : [...Array(rank).keys()];
  return [...new Set(listed.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
}

function foldReduce(x: ConstTensor, axes: readonly number[], keep: boolean, f: (acc: number, v: number) => number, init: number, fin: (acc: number, n: number) => number): ConstTensor {
  const outShape = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const acc = new Array<number>(sizeOf(outShape)).fill(init);
  const st = stridesOf(outShape);
  x.data.forEach((v, i) => {
    const o = unravel(i, x.shape).reduce((s, k, a) => s + (axes.includes(a) ? 0 : k * st[a]!), 0);
    acc[o] = f(acc[o]!, v);
  });
  const n = sizeOf(x.shape) / acc.length;
  return konst("float", keep ? outShape : x.shape.filter((_, a) => !axes.includes(a)), acc.map((s) => fin(s, n)));
}

function reduce(op: OpName | undefined, axesInputFrom: number, f: (acc: number, v: number) => number, init: number, fin: (acc: number, n: number) => number): OnnxOp {
  const axesFor = (ctx: Lowering, rank: number) => axesOf(ctx, rank, ctx.model.opset >= axesInputFrom);
  return {
    attrs: ["axes", "keepdims", "noop_with_empty_axes"],
    fold: (xs, ctx) => {
      const x = xs[0]!;
      const axes = axesFor(ctx, x.shape.length);
      return [axes ? foldReduce(x, axes, ctx.int("keepdims", 1) === 1, f, init, fin) : x];
    },
    lower: (ctx) => {
      const x = ctx.need(0, "data");
      const shape = ctx.shape(x);
      const axes = axesFor(ctx, shape.length);
      if (!axes) return [x];
      if (!op) return ctx.fail("reduces a value computed by the model: semic's max has no gradient edges; only the softmax pattern (--fuse softmax) lifts it");
      const y = { node: ctx.add(op, [ctx.node(x)], { axes }) };
      return [ctx.int("keepdims", 1) ? reshapeTo(ctx, y, shape.map((d, a) => (axes.includes(a) ? 1 : d))) : y];
    },
  };
}

export const reduceOps: Record<string, OnnxOp> = {
  ReduceMean: reduce("mean", 18, (a, v) => a + v, 0, (a, n) => a / n),
  ReduceSum: reduce("sum", 13, (a, v) => a + v, 0, (a) => a),
  ReduceMax: reduce(undefined, 18, Math.max, -Infinity, (a) => a),
};
