// MatMul and Gemm onto semic's matmul and linear.

import type { Lowering, Val } from "./context.ts";
import type { OnnxOp } from "./op.ts";
import { scalar } from "./tensor.ts";

const matmul: OnnxOp = {
  attrs: [],
  lower: (ctx) => [{ node: ctx.add("matmul", [ctx.node(ctx.need(0, "A")), ctx.node(ctx.need(1, "B"))]) }],
};

function scaled(ctx: Lowering, v: number, by: number): number {
  return by === 1 ? v : ctx.add("mul", [v, ctx.node({ konst: scalar("float", by) })]);
}

/**
 * Gemm: Y = alpha·A'·B' + beta·C. The PyTorch form (transB, alpha = beta = 1, C a vector) is
 * semic's linear (weight [out, in], as stored); anything else is matmul, transposes and scaling.
 */
const gemm: OnnxOp = {
  attrs: ["alpha", "beta", "transA", "transB"],
  lower: (ctx) => {
    const [a, b, c] = [ctx.need(0, "A"), ctx.need(1, "B"), ctx.input(2)];
    const alpha = ctx.float("alpha", 1), beta = ctx.float("beta", 1);
    const transA = ctx.int("transA", 0), transB = ctx.int("transB", 0);
    const cShape = c ? ctx.shape(c) : undefined;
    const n = ctx.shape(b)[transB ? 0 : 1];
    if (!transA && transB && alpha === 1 && beta === 1 && (!cShape || (cShape.length === 1 && cShape[0] === n)))
      return [{ node: ctx.add("linear", [ctx.node(a), ctx.node(b), ...(c ? [ctx.node(c)] : [])]) }];
    const t = (v: Val, on: number) => (on ? ctx.add("transpose", [ctx.node(v)], { perm: [1, 0] }) : ctx.node(v));
    const y = scaled(ctx, ctx.add("matmul", [t(a, transA), t(b, transB)]), alpha);
    if (!c) return [{ node: y }];
    return [{ node: ctx.add("add", [y, scaled(ctx, ctx.node(c), beta)]) }];
  },
};

export const contractionOps: Record<string, OnnxOp> = { MatMul: matmul, Gemm: gemm };
