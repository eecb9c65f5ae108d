// Rewrites built-in composites into elementary primitives, so path-level results can be matched
// against a scalar-level library (the paper's decomposition, max-shift included). The forward
// values and the gradient are unchanged; the paths of the scalar graph are not.

import { GraphBuilder, type Graph, type Node, type SourceLoc } from "../graph.ts";
import { attrNum } from "../ops/rule.ts";

export type Composite = "softmax" | "log_softmax" | "layer_norm";

/** Emits the expansion of one node given its (already rewritten) operands; returns the new value. */
type Expansion = (b: Emit, xs: readonly number[], n: Node) => number;
type Emit = ReturnType<typeof emitter>;

function emitter(b: GraphBuilder, loc: SourceLoc | undefined) {
  const op = (name: Parameters<GraphBuilder["add"]>[0], xs: number[], attrs = {}) => b.add(name, xs, attrs, loc);
  const shapeOf = (v: number) => b.nodes[v]!.type.shape;
  return {
    op,
    /** A reduction over the last axis, kept as a unit axis so it broadcasts against its input. */
    rowReduce(name: "max" | "sum" | "mean", x: number) {
      const s = shapeOf(x);
      return op("reshape", [op(name, [x], { axes: [s.length - 1] })], { shape: [...s.slice(0, -1), 1] });
    },
    scalar: (v: number) => op("constant", [], { shape: [], values: [v] }),
  };
}

// The max shift has no edges (ir/ops/max.ts): softmax is shift-invariant, so the gradient is exact.
const expansions: Record<Composite, Expansion> = {
  // y = e^(x − m) / Σ e^(x − m)
  softmax(b, [x]) {
    const e = b.op("exp", [b.op("sub", [x!, b.rowReduce("max", x!)])]);
    return b.op("div", [e, b.rowReduce("sum", e)]);
  },
  // y = (x − m) − log Σ e^(x − m)
  log_softmax(b, [x]) {
    const s = b.op("sub", [x!, b.rowReduce("max", x!)]);
    return b.op("sub", [s, b.op("log", [b.rowReduce("sum", b.op("exp", [s]))])]);
  },
  // y = (x − μ)/√(mean((x − μ)²) + eps)·γ + β
  layer_norm(b, [x, gamma, beta], n) {
    const d = b.op("sub", [x!, b.rowReduce("mean", x!)]);
    const variance = b.rowReduce("mean", b.op("mul", [d, d]));
    const sd = b.op("sqrt", [b.op("add", [variance, b.scalar(attrNum(n.attrs, "eps"))])]);
    return b.op("add", [b.op("mul", [b.op("div", [d, sd]), gamma!]), beta!]);
  },
};

export function expandComposites(g: Graph, which: readonly Composite[]): Graph {
  const b = new GraphBuilder(g.name);
  const map: number[] = [];
  const chosen = new Set<string>(which);
  for (const n of g.nodes) {
    const xs = n.inputs.map((i) => map[i]!);
    map[n.id] = chosen.has(n.op)
      ? expansions[n.op as Composite](emitter(b, n.loc), xs, n)
      : b.add(n.op, xs, n.attrs, n.loc);
  }
  return b.build(map[g.output]!);
}
