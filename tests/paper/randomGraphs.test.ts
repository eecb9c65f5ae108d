// --semantics paper on random graphs: max-product against the independent reference (values and
// pointers), sum-product and entropy equal to the element semantics on the same decomposed graph,
// and the gradient equal to that of the graph before decomposition.

import { describe, expect, test } from "vitest";
import { defaultWrt } from "../../compiler/backward.ts";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { expandFor } from "../../compiler/semantics.ts";
import { namedNodes, type Graph } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { expectLanesClose, splitFeeds } from "../oracle/check.ts";
import { randomFeed } from "../oracle/random.ts";
import { randomGraph } from "../oracle/randomGraph.ts";
import { paperMaxProduct } from "./reference.ts";

const { sumprod, maxprod, entropy } = semirings;
const seeds = Array.from({ length: 40 }, (_, i) => 7000 + i);
/** A second family drawn from contractions, broadcasts, composites and fan-out only. */
const dense: readonly OpName[] = ["matmul", "linear", "add", "mul", "sub", "softmax", "log_softmax", "layer_norm", "sum", "mean", "exp", "tanh", "relu", "transpose", "branch"];
const cases = [
  ...seeds.map((seed) => [`seed ${seed}`, seed, randomGraph(seed, { steps: 6, maxRank: 2, maxDim: 3 })] as const),
  ...seeds.slice(0, 30).map((seed) => [`dense seed ${seed}`, seed, randomGraph(seed, { steps: 6, maxRank: 2, maxDim: 3, ops: dense })] as const),
];

async function runBoth(g: Graph, seed: number) {
  const wrt = defaultWrt(g).concat(g.nodes.filter((n) => n.op === "param").map((n) => n.attrs["name"] as string));
  const feeds = randomFeed(g, seed);
  const { params, inputs } = splitFeeds(g, feeds);
  const run = async (semantics: "element" | "paper", graph: Graph) => {
    const { js, graph: compiled } = compileGraph(graph, { semirings: [sumprod, maxprod, entropy], wrt, precision: "f64", semantics });
    return { compiled, ...(await importModule(js.js)).createModel(params).run(inputs, { topPath: false }) };
  };
  return { wrt, feeds, paper: await run("paper", g), element: await run("element", expandFor(g, "paper")), original: await run("element", g) };
}

let checked = 0;

describe("paper semantics on random graphs", () => {
  test.each(cases)("%s", async (_name, seed, g) => {
    let out;
    try {
      out = await runBoth(g, seed);
    } catch (e) {
      // The output may not depend on any differentiable leaf (e.g. only on constants and ids).
      expect(String(e)).toMatch(/no gradient path|no tensor named/);
      return;
    }
    const { wrt, feeds, paper, element, original } = out;
    if (!Number.isFinite(paper.output)) return; // random constants may leave a log's domain
    const reference = paperMaxProduct(paper.compiled, feeds);
    const named = namedNodes(paper.compiled);
    for (const name of wrt) {
      const ref = reference[named.get(name)!.id]!;
      const got = paper.results["maxprod"]!.wrt[name]!.lanes;
      const what = `seed ${seed} ${name}`;
      expectLanesClose(got["hi"]!, ref.hi, 1e-9, `${what} hi`);
      expectLanesClose(got["lo"]!, ref.lo, 1e-9, `${what} lo`);
      expect([...got["hiFrom"]!], `${what} hiFrom`).toEqual([...ref.hiFrom]);
      expect([...got["loFrom"]!], `${what} loFrom`).toEqual([...ref.loFrom]);
      for (const sr of ["sumprod", "entropy"])
        expectLanesClose(paper.results[sr]!.wrt[name]!.value, element.results[sr]!.wrt[name]!.value, 1e-12, `${what} ${sr}`);
      // The library's decomposition keeps the gradient of the composites it replaces.
      expectLanesClose(paper.results["sumprod"]!.wrt[name]!.value, original.results["sumprod"]!.wrt[name]!.value, 1e-6, `${what} gradient`, 1e-9);
      checked += ref.hi.length;
    }
  });

  test("the seeds exercised enough elements", () => {
    expect(checked).toBeGreaterThan(200);
  });
});
