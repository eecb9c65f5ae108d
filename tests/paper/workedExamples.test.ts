// The paper library's semantics (--semantics paper) on PAPER.md's worked examples A (granularity)
// and B (branch views), with the element semantics (the default) beside it.

import { describe, expect, test } from "vitest";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { consumerLabels } from "../../compiler/semantics.ts";
import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import type { Attrs } from "../../ir/ops/rule.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { expectLanesClose } from "../oracle/check.ts";

function build(name: string, body: (op: (o: OpName, xs: number[], attrs?: Attrs) => number) => number): Graph {
  const b = new GraphBuilder(name);
  return b.build(body((o, xs, attrs = {}) => b.add(o, xs, attrs)));
}
const constant = (op: (o: OpName, xs: number[], attrs?: Attrs) => number, shape: number[], values: number[]) =>
  op("constant", [], { shape, values });

async function run(g: Graph, semantics: "element" | "paper", inputs: Record<string, number[]>, aggregate?: Record<string, number[]>) {
  const { js, graph } = compileGraph(g, { semirings: [semirings.sumprod, semirings.maxprod, semirings.entropy], precision: "f64", semantics });
  const model = (await importModule(js.js)).createModel({});
  return { graph, ...model.run(inputs, { topPath: false, ...(aggregate ? { aggregate } : {}) }) };
}

// x = (1, −2); h = W1·x; y = w2·h + v·x. The ids of x's two consumers: the h matmul and the skip.
const consumersOfX = { viaH: -1, skip: -1 };
const exampleA = build("exampleA", (op) => {
  const x = op("input", [], { name: "x", shape: [2] });
  const h = (consumersOfX.viaH = op("matmul", [constant(op, [2, 2], [0.5, -1, 2, 0.25]), x]));
  const skip = (consumersOfX.skip = op("matmul", [constant(op, [2], [1, -0.5]), x]));
  return op("add", [op("matmul", [constant(op, [2], [-3, 2]), h]), skip]);
});

describe("worked example A (granularity)", () => {
  test("element semantics: every path competes", async () => {
    const { results } = await run(exampleA, "element", { x: [1, -2] });
    const x = results["maxprod"]!.wrt["x"]!;
    expectLanesClose(x.lanes["hi"]!, [4, 3], 1e-12, "hi");
    expectLanesClose(x.lanes["lo"]!, [-1.5, -0.5], 1e-12, "lo");
    expectLanesClose(results["sumprod"]!.wrt["x"]!.value, [3.5, 3], 1e-12, "gradient");
    expectLanesClose(results["entropy"]!.wrt["x"]!.value, [0.9251290836, 0.7356219398], 1e-9, "H");
  });

  test("paper semantics: max of per-consumer sums, pointers to the consumer tensor", async () => {
    const { results, graph } = await run(exampleA, "paper", { x: [1, -2] });
    const x = results["maxprod"]!.wrt["x"]!;
    expectLanesClose(x.lanes["hi"]!, [2.5, 3.5], 1e-12, "hi");
    expectLanesClose(x.lanes["lo"]!, [1, -0.5], 1e-12, "lo");
    const { viaH, skip } = consumersOfX;
    expect([...x.lanes["hiFrom"]!]).toEqual([viaH, viaH]);
    expect([...x.lanes["loFrom"]!]).toEqual([skip, skip]);
    expect(consumerLabels(graph).get(viaH)).toBe(`%${viaH} matmul`);
    // Gradient and entropy are the element semantics' (no path-level choice in them).
    expectLanesClose(results["sumprod"]!.wrt["x"]!.value, [3.5, 3], 1e-12, "gradient");
    expectLanesClose(results["entropy"]!.wrt["x"]!.value, [0.9251290836, 0.7356219398], 1e-9, "H");
  });
});

// X: 1 sentence × 2 tokens × 2 units, all ones; Q = X·a, K = X·b, S = X·c element-wise; output Σ(Q + K + S).
const exampleB = build("exampleB", (op) => {
  const x = op("input", [], { name: "X", shape: [1, 2, 2] });
  const consumer = (label: string, values: number[]) => op("mul", [op("branch", [x], { label }), constant(op, [2, 2], values)]);
  const q = consumer("Q", [1, 5, 2, 0.5]);
  const k = consumer("K", [3, 1, -4, 1]);
  const s = consumer("S", [2, 2, 1, 1.5]);
  return op("sum", [op("add", [op("add", [q, k]), s])]);
});

/** The paper's two readings of a branch point per token, from hi and its pointer (labels by node id). */
function branchViews(hi: ArrayLike<number>, from: ArrayLike<number>, units: number, label: (id: number) => string, names: string[]) {
  const tokens = hi.length / units;
  return Array.from({ length: tokens }, (_, t) => {
    const oplus = Object.fromEntries(names.map((n) => [n, 0]));
    const bucket = Object.fromEntries(names.map((n) => [n, 0]));
    let best = t * units;
    for (let u = t * units; u < (t + 1) * units; u++) {
      bucket[label(from[u]!)]! += hi[u]!;
      if (hi[u]! > hi[best]!) best = u;
    }
    oplus[label(from[best]!)] = hi[best]!;
    return { oplus, bucket };
  });
}

describe("worked example B (branch views)", () => {
  test("per element (max, pointer), oplus and bucket_sum", async () => {
    const { results, graph } = await run(exampleB, "paper", { X: [1, 1, 1, 1] }, { X: [2] });
    const x = results["maxprod"]!.wrt["X"]!;
    const labels = consumerLabels(graph);
    const label = (id: number) => labels.get(id)!;
    expectLanesClose(x.lanes["hi"]!, [3, 5, 2, 1.5], 1e-12, "hi");
    expect([...x.lanes["hiFrom"]!].map(label)).toEqual(["K", "Q", "Q", "S"]);
    const views = branchViews(x.lanes["hi"]!, x.lanes["hiFrom"]!, 2, label, ["Q", "K", "S"]);
    expect(views.map((v) => v.oplus)).toEqual([{ Q: 5, K: 0, S: 0 }, { Q: 2, K: 0, S: 0 }]);
    expect(views.map((v) => v.bucket)).toEqual([{ Q: 5, K: 3, S: 0 }, { Q: 2, K: 0, S: 1.5 }]);
    // ⊕-aggregating over the units is the oplus view: the value and the pointer of the best unit.
    const agg = results["maxprod"]!.aggregated!["X"]!;
    expectLanesClose(agg.lanes["hi"]!, [5, 2], 1e-12, "aggregated hi");
    expect([...agg.lanes["hiFrom"]!].map(label)).toEqual(["Q", "Q"]);
  });
});
