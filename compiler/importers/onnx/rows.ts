// Row ops: Softmax, LogSoftmax, LayerNormalization and Gelu onto semic's primitives (dense per-row
// Jacobians). semic normalises over the last axis; another axis is moved there and back.

import type { OpName } from "../../../ir/ops/index.ts";
import type { Lowering, Val } from "./context.ts";
import type { OnnxOp } from "./op.ts";
import { konst, normAxis } from "./tensor.ts";

/** op over `axis`, transposing it to the end and back when it is not the last axis. */
function overAxis(ctx: Lowering, x: Val, axis: number, op: (v: number) => number): Val {
  const rank = ctx.shape(x).length;
  if (axis === rank - 1) return { node: op(ctx.node(x)) };
  const perm = [...Array(rank).keys()].filter((a) => a !== axis).concat(axis);
  const back = perm.map((_, a) => perm.indexOf(a));
  const moved = ctx.add("transpose", [ctx.node(x)], { perm });
  return { node: ctx.add("transpose", [op(moved)], { perm: back }) };
}

function normalizer(op: OpName): OnnxOp {
  return {
    attrs: ["axis"],
    lower: (ctx) => {
      const x = ctx.need(0, "input");
      const rank = ctx.shape(x).length;
      // Before opset 13 the op flattened the input into 2-D at `axis` (default 1).
      const axis = normAxis(ctx.int("axis", ctx.model.opset >= 13 ? -1 : 1), rank);
      if (ctx.model.opset < 13 && axis !== rank - 1) ctx.fail(`axis ${axis} of a rank-${rank} input: before opset 13 this normalises over the flattened axes ${axis}…${rank - 1}; semic supports the last axis only`);
      return [overAxis(ctx, x, axis, (v) => ctx.add(op, [v]))];
    },
  };
}

const layerNormalization: OnnxOp = {
  attrs: ["axis", "epsilon", "stash_type"],
  lower: (ctx) => {
    const x = ctx.need(0, "X");
    const shape = ctx.shape(x);
    const axis = normAxis(ctx.int("axis", -1), shape.length);
    if (axis !== shape.length - 1) ctx.fail(`axis ${axis}: semic normalises over the last axis only (rank ${shape.length})`);
    const n = shape[axis]!;
    const bias: Val = ctx.input(2) ?? { konst: konst("float", [n], new Array<number>(n).fill(0)) };
    for (const out of (ctx.current?.outputs ?? []).slice(1)) if (out) ctx.unavailable(out, "the mean and inverse standard deviation outputs of LayerNormalization are not supported");
    const eps = ctx.float("epsilon", 1e-5);
    return [{ node: ctx.add("layer_norm", [ctx.node(x), ctx.node(ctx.need(1, "Scale")), ctx.node(bias)], { eps }) }];
  },
};

const gelu: OnnxOp = {
  attrs: ["approximate"],
  lower: (ctx) => {
    const a = ctx.str("approximate", "none");
    if (a !== "none" && a !== "tanh") ctx.fail(`approximate must be "none" or "tanh", got "${a}"`);
    return [{ node: ctx.add("gelu", [ctx.node(ctx.need(0, "X"))], { approximate: a === "none" ? "erf" : "tanh" }) }];
  },
};

export const rowOps: Record<string, OnnxOp> = {
  Softmax: normalizer("softmax"),
  LogSoftmax: normalizer("log_softmax"),
  LayerNormalization: layerNormalization,
  Gelu: gelu,
};
