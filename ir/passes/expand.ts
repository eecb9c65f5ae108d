// Rewrites built-in composites into elementary primitives, so path-level results can be matched
// against a scalar-level library. The forward values and the gradient are unchanged; the paths of
// the scalar graph are not. Two decompositions:
//   shifted (default): the max shift has no edges, variance = mean((x − μ)²);
//   library: the form an autodiff library builds — log-softmax = x − (log Σ e^(x − m) + m) with m
//     a routed max (weight 1 to the arg-max, 0 elsewhere), softmax = exp(log-softmax), and
//     variance = E[x²] − E[x]².

import { GraphBuilder, type Graph, type Node, type SourceLoc } from "../graph.ts";
import { attrNum } from "../ops/rule.ts";

export type Composite = "softmax" | "log_softmax" | "layer_norm";
export type Decomposition = "shifted" | "library";

/** Emits the expansion of one node given its (already rewritten) operands; returns the new value. */
type Expansion = (b: Emit, xs: readonly number[], n: Node) => number;
type Emit = ReturnType<typeof emitter>;

function emitter(b: GraphBuilder, loc: SourceLoc | undefined) {
  const op = (name: Parameters<GraphBuilder["add"]>[0], xs: number[], attrs = {}) => b.add(name, xs, attrs, loc);
  const shapeOf = (v: number) => b.nodes[v]!.type.shape;
  return {
    op,
    /** A reduction over the last axis, kept as a unit axis so it broadcasts against its input. */
    rowReduce(name: "max" | "routed_max" | "sum" | "mean", x: number) {
      const s = shapeOf(x);
      return op("reshape", [op(name, [x], { axes: [s.length - 1] })], { shape: [...s.slice(0, -1), 1] });
    },
    scalar: (v: number) => op("constant", [], { shape: [], values: [v] }),
  };
}

// The max shift has no edges (ir/ops/max.ts): softmax is shift-invariant, so the gradient is exact.
const shifted: Record<Composite, Expansion> = {
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

/** y = x − (log Σ e^(x − m) + m): m's adjoint is 0 (its two uses cancel), so the gradient is exact. */
function libraryLogSoftmax(b: Emit, x: number): number {
  const m = b.rowReduce("routed_max", x);
  const lse = b.op("add", [b.op("log", [b.rowReduce("sum", b.op("exp", [b.op("sub", [x, m])]))]), m]);
  return b.op("sub", [x, lse]);
}

const library: Record<Composite, Expansion> = {
  softmax: (b, [x]) => b.op("exp", [libraryLogSoftmax(b, x!)]),
  log_softmax: (b, [x]) => libraryLogSoftmax(b, x!),
  // y = (x − μ)/√(E[x²] − μ² + eps)·γ + β
  layer_norm(b, [x, gamma, beta], n) {
    const mu = b.rowReduce("mean", x!);
    const variance = b.op("sub", [b.rowReduce("mean", b.op("mul", [x!, x!])), b.op("mul", [mu, mu])]);
    const sd = b.op("sqrt", [b.op("add", [variance, b.scalar(attrNum(n.attrs, "eps"))])]);
    return b.op("add", [b.op("mul", [b.op("div", [b.op("sub", [x!, mu]), sd]), gamma!]), beta!]);
  },
};

const decompositions: Record<Decomposition, Record<Composite, Expansion>> = { shifted, library };

export function expandComposites(g: Graph, which: readonly Composite[], decomposition: Decomposition = "shifted"): Graph {
  const expansions = decompositions[decomposition];
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
