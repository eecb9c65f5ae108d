// Graphs for the WGSL suites: the multi-op graphs of tests/backward.test.ts (fan-out makes ⊕
// matter; branches), and larger ones that tile contractions in full 16×16 blocks, span several
// workgroups, and dispatch a 2-D grid.

import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import type { Attrs } from "../../ir/ops/rule.ts";

function build(name: string, body: (op: (o: OpName, xs: number[], attrs?: Attrs) => number) => number): Graph {
  const b = new GraphBuilder(name);
  return b.build(body((o, xs, attrs = {}) => b.add(o, xs, attrs)));
}

/** The graphs of tests/backward.test.ts, rebuilt the same way. */
export const smallGraphs: Record<string, Graph> = {
  diamond: build("diamond", (op) => {
    const x = op("input", [], { name: "x", shape: [3] });
    return op("sum", [op("add", [op("sin", [x]), op("mul", [op("exp", [x]), x])])]);
  }),
  reuse: build("reuse", (op) => {
    const x = op("input", [], { name: "x", shape: [2, 2] });
    return op("sum", [op("matmul", [op("mul", [x, x]), x])]);
  }),
  broadcast: build("broadcast", (op) => {
    const x = op("input", [], { name: "x", shape: [2, 3] });
    const c = op("input", [], { name: "c", shape: [3] });
    const r = op("relu", [op("sub", [x, c])]);
    return op("sum", [op("div", [r, op("add", [op("exp", [c]), op("constant", [], { shape: [1], values: [1] })])])]);
  }),
  attention: attention("attention", 2, 2),
  /** Integer ids moved by a reshape before the lookup: an i32 kernel target. */
  ids: build("ids", (op) => {
    const ids = op("reshape", [op("input", [], { name: "ids", shape: [2, 3], dtype: "i32" })], { shape: [6] });
    const e = op("gather", [op("param", [], { name: "table", shape: [4, 2] }), ids]);
    return op("sum", [op("mul", [e, e])]);
  }),
};

/** One attention block with a skip branch (seq × dim), as in backward.test.ts at 2 × 2. */
function attention(name: string, seq: number, dim: number): Graph {
  return build(name, (op) => {
    const x = op("input", [], { name: "x", shape: [seq, dim] });
    const p = (n: string) => op("param", [], { name: n, shape: [dim, dim] });
    const q = op("matmul", [op("branch", [x], { label: "query" }), p("wq")]);
    const k = op("matmul", [op("branch", [x], { label: "key" }), p("wk")]);
    const v = op("matmul", [op("branch", [x], { label: "value" }), p("wv")]);
    const att = op("softmax", [op("matmul", [q, op("transpose", [k])])]);
    const h = op("add", [op("branch", [x], { label: "skip" }), op("matmul", [att, v])]);
    return op("pick", [op("log_softmax", [op("sum", [h], { axes: [0] })])], { index: [1] });
  });
}

export const largeGraphs: Record<string, Graph> = {
  /** Embedding → layer norm → two linear layers (contractions of 40 × 48 × 36). */
  mlp: build("mlp", (op) => {
    const ids = op("input", [], { name: "ids", shape: [40], dtype: "i32" });
    const emb = op("gather", [op("param", [], { name: "table", shape: [50, 48] }), ids]);
    const x = op("name", [op("layer_norm", [emb, op("param", [], { name: "g", shape: [48] }), op("param", [], { name: "b", shape: [48] })], { eps: 1e-5 })], { label: "h0" });
    const h = op("gelu", [op("linear", [x, op("param", [], { name: "w1", shape: [36, 48] }), op("param", [], { name: "b1", shape: [36] })])], { approximate: "tanh" });
    const y = op("matmul", [h, op("param", [], { name: "w2", shape: [36, 20] })]);
    return op("pick", [op("log_softmax", [op("mean", [y], { axes: [0] })])], { index: [3] });
  }),
  attention: attention("attention_big", 20, 24),
};

/**
 * 2100 × 2000 elements: more threads than one grid row of 65535 workgroups holds. Reduced in two
 * steps: one thread folding 4.2M values in f32 would lose digits that JS's f64 loop keeps.
 */
export const hugeGraph: Graph = build("huge", (op) => {
  const x = op("input", [], { name: "x", shape: [2100, 2000] });
  return op("sum", [op("sum", [op("mul", [op("sin", [x]), x])], { axes: [1] })]);
});
