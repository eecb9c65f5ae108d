// One small graph per op (and variant): the shared fixture of the finite-difference checks and
// the op × semiring matrix. Exhaustive: a new op without a case fails to compile.

import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import type { Attrs } from "../../ir/ops/rule.ts";

export const inp = (b: GraphBuilder, name: string, shape: number[], dtype?: "i32") =>
  b.add("input", [], dtype ? { name, shape, dtype } : { name, shape });
export const par = (b: GraphBuilder, name: string, shape: number[]) => b.add("param", [], { name, shape });
export const op = (b: GraphBuilder, name: OpName, xs: number[], attrs: Attrs = {}) => b.add(name, xs, attrs);

/** out = Σ probe ⊙ y with a random probe, so every output element matters to the gradient. */
export function probed(build: (b: GraphBuilder) => number): Graph {
  const b = new GraphBuilder("t");
  const y = build(b);
  const w = par(b, "probe", [...b.nodes[y]!.type.shape]);
  return b.build(op(b, "sum", [op(b, "mul", [y, w])]));
}

export type Build = (b: GraphBuilder) => number;
export type NonLeaf = Exclude<OpName, "input" | "param" | "constant">;
const unary = (name: NonLeaf, attrs: Attrs = {}): Build => (b) => op(b, name, [inp(b, "x", [2, 3])], attrs);
const binary = (name: NonLeaf): Build => (b) => op(b, name, [inp(b, "a", [2, 3]), inp(b, "b", [3])]);

/** Variant name → graph body; "" is the plain case. Exhaustive: a new op without a case fails to compile. */
export const cases: Record<NonLeaf, Record<string, Build>> = {
  add: { "": binary("add") }, sub: { "": binary("sub") }, mul: { "": binary("mul") }, div: { "": binary("div") },
  neg: { "": unary("neg") }, exp: { "": unary("exp") }, log: { "": unary("log") }, relu: { "": unary("relu") },
  sqrt: { "": unary("sqrt") }, sin: { "": unary("sin") }, cos: { "": unary("cos") },
  tanh: { "": unary("tanh") }, sigmoid: { "": unary("sigmoid") },
  erf: { "": unary("erf") }, reciprocal: { "": unary("reciprocal") },
  pow: { "": unary("pow", { exponent: 2 }), cube: unary("pow", { exponent: 3 }), "x^-1.5": unary("pow", { exponent: -1.5 }) },
  gelu: { "": unary("gelu", { approximate: "erf" }), tanh: unary("gelu", { approximate: "tanh" }) },
  matmul: {
    "": (b) => op(b, "matmul", [inp(b, "a", [2, 3]), inp(b, "b", [3, 4])]),
    batched: (b) => op(b, "matmul", [inp(b, "a", [2, 2, 3]), inp(b, "b", [3, 2])]),
    "vector·matrix": (b) => op(b, "matmul", [inp(b, "a", [3]), inp(b, "b", [2, 3, 2])]),
    "matrix·vector": (b) => op(b, "matmul", [inp(b, "a", [2, 3]), inp(b, "b", [3])]),
    "vector·vector": (b) => op(b, "matmul", [inp(b, "a", [3]), inp(b, "b", [3])]),
  },
  linear: {
    "": (b) => op(b, "linear", [inp(b, "x", [2, 3]), par(b, "w", [4, 3]), par(b, "b", [4])]),
    "no bias, 1-D": (b) => op(b, "linear", [inp(b, "x", [3]), par(b, "w", [2, 3])]),
  },
  sum: { "": (b) => op(b, "sum", [inp(b, "x", [2, 3])], { axes: [1] }) },
  mean: { "": (b) => op(b, "mean", [inp(b, "x", [2, 3])], { axes: [0] }) },
  max: { "": (b) => op(b, "max", [inp(b, "x", [2, 3])], { axes: [1] }) },
  routed_max: { "": (b) => op(b, "routed_max", [inp(b, "x", [2, 3])], { axes: [1] }) },
  softmax: { "": unary("softmax"), "1-D": (b) => op(b, "softmax", [inp(b, "x", [4])]) },
  log_softmax: { "": unary("log_softmax"), "3-D": (b) => op(b, "log_softmax", [inp(b, "x", [2, 2, 3])]) },
  layer_norm: {
    "": (b) => op(b, "layer_norm", [inp(b, "x", [2, 4]), par(b, "gamma", [4]), par(b, "beta", [4])], { eps: 1e-5 }),
  },
  reshape: {
    "": (b) => op(b, "reshape", [inp(b, "x", [2, 6])], { shape: [3, 4] }),
    "unit axis": (b) => op(b, "reshape", [inp(b, "x", [2, 3])], { shape: [2, 1, 3] }),
    flatten: (b) => op(b, "reshape", [inp(b, "x", [2, 3, 2])], { shape: [-1] }),
  },
  transpose: {
    "": (b) => op(b, "transpose", [inp(b, "x", [2, 3, 4])]),
    perm: (b) => op(b, "transpose", [inp(b, "x", [2, 3, 4])], { perm: [2, 0, 1] }),
  },
  slice: {
    "": (b) => op(b, "slice", [inp(b, "x", [3, 5])], { axis: 1, start: 1, end: -1 }),
    clamped: (b) => op(b, "slice", [inp(b, "x", [3, 5])], { axis: 0, start: -2, end: 10 }),
  },
  concat: {
    "": (b) => op(b, "concat", [inp(b, "a", [2, 1]), inp(b, "b", [2, 3]), inp(b, "c", [2, 2])], { axis: -1 }),
    "one input": (b) => op(b, "concat", [inp(b, "a", [2, 2])], { axis: 0 }),
  },
  pick: { "": (b) => op(b, "pick", [inp(b, "x", [2, 3])], { index: [1, -1] }) },
  gather: { "": (b) => op(b, "gather", [par(b, "table", [5, 3]), inp(b, "ids", [2, 2], "i32")]) },
  branch: { "": unary("branch", { label: "skip" }) },
  name: { "": unary("name", { label: "h" }) },
};

/** Ops whose rule deliberately has no edges (the max shift); they get no gradient check. */
/** Ops whose rule deliberately has no edges (the max shift); they get no gradient check. */
export const withoutEdges = new Set<OpName>(["max"]);

export const caseList = Object.entries(cases).flatMap(([name, variants]) =>
  Object.entries(variants).map(([variant, build]) => ({
    label: variant ? `${name} (${variant})` : name, name: name as NonLeaf, build,
  })),
);

/** [label, case] rows, so test names read plainly ("softmax", "gelu (tanh)"). */
export const named = caseList.map((c) => [c.label, c] as const);
