// MatMul, BatchMatMul and the 1×1 Conv2D that Tensor2Tensor uses as a dense layer, onto matmul.

import type { Lowering, Val } from "../onnx/context.ts";
import { reshapeTo } from "../onnx/movement.ts";
import type { OnnxOp } from "../onnx/op.ts";
import {  } from "../onnx/tensor.ts";
import { sizeOf } from "../../../ir/types.ts";

/** v with its last two axes swapped when `on`. */
function swapLast(ctx: Lowering, v: Val, on: boolean): number {
  if (!on) return ctx.node(v);
  const rank = ctx.shape(v).length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return ctx.add("transpose", [ctx.node(v)], { perm });
}

function matmul(transA: string, transB: string): OnnxOp {
  return {
    attrs: ["T", transA, transB, "grad_a", "grad_b"],
    lower: (ctx) => {
      const [a, b] = [ctx.need(0, "a"), ctx.need(1, "b")];
      return [{ node: ctx.add("matmul", [swapLast(ctx, a, ctx.int(transA, 0) === 1), swapLast(ctx, b, ctx.int(transB, 0) === 1)]) }];
    },
  };
}

/** Conv2D with a 1×1 kernel [1, 1, in, out], unit strides and dilations, NHWC: a matmul over the channels. */
const conv2d: OnnxOp = {
  attrs: ["T", "strides", "padding", "dilations", "data_format", "use_cudnn_on_gpu", "explicit_paddings"],
  lower: (ctx) => {
    const [x, w] = [ctx.need(0, "input"), ctx.need(1, "filter")];
    const [xs, ws] = [ctx.shape(x), ctx.shape(w)];
    if (ctx.str("data_format", "NHWC") !== "NHWC") ctx.fail(`data_format ${ctx.str("data_format", "NHWC")}: semic reads NHWC`);
    const unit = (name: string) => (ctx.ints(name) ?? [1, 1, 1, 1]).every((s) => s === 1);
    if (ws.length !== 4 || ws[0] !== 1 || ws[1] !== 1 || !unit("strides") || !unit("dilations"))
      ctx.fail(`filter [${ws.join(",")}]: semic imports 1×1 convolutions with unit strides and dilations (a dense layer), not general convolutions`);
    const rows = reshapeTo(ctx, x, [sizeOf(xs.slice(0, 3)), xs[3]!]);
    const y = ctx.add("matmul", [ctx.node(rows), ctx.node(reshapeTo(ctx, w, ws.slice(2)))]);
    return [reshapeTo(ctx, { node: y }, [...xs.slice(0, 3), ws[3]!])];
  },
};

export const contractionTfOps: Record<string, OnnxOp> = {
  MatMul: matmul("transpose_a", "transpose_b"),
  BatchMatMul: matmul("adj_x", "adj_y"),
  BatchMatMulV2: matmul("adj_x", "adj_y"),
  Conv2D: conv2d,
};
