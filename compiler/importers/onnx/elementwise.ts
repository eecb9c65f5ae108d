// Elementwise ONNX ops: arithmetic and activations map one to one onto semic's elementwise ops;
// comparisons and Where shape the masks that exporters compute from constants.

import { erfApprox } from "../../../ir/scalar.ts";
import type { OpName } from "../../../ir/ops/index.ts";
import { isFoldable, type Lowering, type Val } from "./context.ts";
import type { OnnxOp } from "./op.ts";
import { zipWith, type ConstKind, type ConstTensor } from "./tensor.ts";

const kindOf = (xs: readonly (ConstTensor | undefined)[]): ConstKind => (xs.some((x) => x?.kind === "float") ? "float" : "int");

function binary(op: OpName, f: (a: number, b: number, kind: ConstKind) => number): OnnxOp {
  return {
    attrs: [],
    fold: (xs) => {
      const kind = kindOf(xs);
      return [zipWith(kind, [xs[0]!, xs[1]!], (a, b) => f(a, b, kind))];
    },
    lower: (ctx) => [{ node: ctx.add(op, [ctx.node(ctx.need(0, "A")), ctx.node(ctx.need(1, "B"))]) }],
  };
}

function unary(op: OpName, f: (x: number) => number): OnnxOp {
  return {
    attrs: [],
    fold: (xs) => [zipWith("float", [xs[0]!], f)],
    lower: (ctx) => [{ node: ctx.add(op, [ctx.node(ctx.need(0, "X"))]) }],
  };
}

/** Comparisons and logic: only on known tensors (masks), never on model values. */
function predicate(f: (...v: number[]) => boolean, arity = 2): OnnxOp {
  return { attrs: [], fold: (xs) => [zipWith("bool", xs.slice(0, arity).map((x) => x!), (...v) => (f(...v) ? 1 : 0))] };
}

/** The one value of a known tensor whose elements are all equal (Pow's exponent). */
function uniform(ctx: Lowering, t: ConstTensor, what: string): number {
  const v = t.data[0]!;
  if (!t.data.every((x) => x === v)) ctx.fail(`${what} must be one number, got [${t.data.slice(0, 6).join(", ")}${t.data.length > 6 ? ", …" : ""}]`);
  return v;
}

const pow: OnnxOp = {
  attrs: [],
  fold: (xs) => [zipWith("float", [xs[0]!, xs[1]!], (a, b) => a ** b)],
  lower: (ctx) => {
    const p = uniform(ctx, ctx.known(1, "the exponent"), "the exponent");
    return [{ node: ctx.add("pow", [ctx.node(ctx.need(0, "X"))], { exponent: p }) }];
  },
};

/**
 * Where(cond, x, y) with a known mask (causal masks, padding): y·(1 − m) is folded, x·m keeps an
 * edge from every x element (weight m: 0 where masked). A mask computed by the model is an error.
 */
const where: OnnxOp = {
  attrs: [],
  fold: (xs) => [zipWith(kindOf(xs.slice(1)), [xs[0]!, xs[1]!, xs[2]!], (c, a, b) => (c ? a : b))],
  lower: (ctx) => {
    const cond = ctx.known(0, "the condition");
    const [x, y] = [ctx.need(1, "X"), ctx.need(2, "Y")];
    if (cond.data.every((c) => c !== 0)) return [x];
    if (cond.data.every((c) => c === 0)) return [y];
    const mask = (on: number, off: number): Val => ({ konst: zipWith("float", [cond], (c) => (c ? on : off)) });
    const side = (v: Val, keep: boolean): Val =>
      isFoldable(v) ? { konst: zipWith("float", [cond, v.konst], (c, a) => ((c !== 0) === keep ? a : 0)) } : { node: ctx.add("mul", [ctx.node(v), ctx.node(mask(keep ? 1 : 0, keep ? 0 : 1))]) };
    return [{ node: ctx.add("add", [ctx.node(side(x, true)), ctx.node(side(y, false))]) }];
  },
};

const trunc = (v: number, kind: ConstKind) => (kind === "float" ? v : Math.trunc(v));

export const elementwiseOps: Record<string, OnnxOp> = {
  Add: binary("add", (a, b) => a + b),
  Sub: binary("sub", (a, b) => a - b),
  Mul: binary("mul", (a, b) => a * b),
  Div: binary("div", (a, b, kind) => trunc(a / b, kind)),
  Pow: pow,
  Sqrt: unary("sqrt", Math.sqrt),
  Reciprocal: unary("reciprocal", (x) => 1 / x),
  Erf: unary("erf", erfApprox),
  Tanh: unary("tanh", Math.tanh),
  Sigmoid: unary("sigmoid", (x) => 1 / (1 + Math.exp(-x))),
  Relu: unary("relu", (x) => Math.max(x, 0)),
  Neg: unary("neg", (x) => -x),
  Exp: unary("exp", Math.exp),
  Log: unary("log", Math.log),
  Where: where,
  Equal: predicate((a, b) => a === b),
  Less: predicate((a, b) => a < b),
  Greater: predicate((a, b) => a > b),
  And: predicate((a, b) => a !== 0 && b !== 0),
  Or: predicate((a, b) => a !== 0 || b !== 0),
  Not: predicate((a) => a === 0, 1),
};
