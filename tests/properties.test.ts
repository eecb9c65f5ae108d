// Properties on random graphs (DESIGN §4): count = number of paths, sumprod = Σ path products,
// maxprod.hi = the best path product, 0 ≤ entropy ≤ log(#paths); all through generated code.

import { describe, expect, test } from "vitest";
import { compileGraph, importModule } from "../compiler/compile.ts";
import { defaultWrt } from "../compiler/backward.ts";
import { namedNodes } from "../ir/graph.ts";
import { semirings } from "../ir/semirings/index.ts";
import { splitFeeds } from "./oracle/check.ts";
import { pathsFrom } from "./oracle/paths.ts";
import { randomFeed } from "./oracle/random.ts";
import { randomGraph } from "./oracle/randomGraph.ts";
import { scalarize } from "./oracle/scalarize.ts";

const seeds = Array.from({ length: 60 }, (_, i) => 1000 + i);
const { sumprod, maxprod, entropy, count } = semirings;

let checkedElements = 0;

describe("random graphs", () => {
  test.each(seeds)("seed %i", async (seed) => {
    const g = randomGraph(seed, { steps: 5, maxRank: 2, maxDim: 3 });
    const wrt = defaultWrt(g).concat(g.nodes.filter((n) => n.op === "param").map((n) => n.attrs["name"] as string));
    let plan;
    try {
      plan = compileGraph(g, { semirings: [sumprod, maxprod, entropy, count], wrt, precision: "f64" });
    } catch (e) {
      // The output may not depend on any differentiable leaf (e.g. only on constants and ids).
      expect(String(e)).toMatch(/no gradient path|no tensor named/);
      return;
    }
    const feeds = randomFeed(g, seed);
    const { params, inputs } = splitFeeds(g, feeds);
    let run;
    try {
      run = (await importModule(plan.js.js)).createModel(params).run(inputs, { topPath: false });
    } catch (e) {
      return expect.fail(`seed ${seed}: ${String(e)}`);
    }
    if (!Number.isFinite(run.output)) return; // random constants may leave a log's domain
    const sg = scalarize(g, feeds);
    const named = namedNodes(g);
    for (const name of wrt) {
      const node = named.get(name)!;
      const res = (sr: string) => run.results[sr]!.wrt[name]!;
      for (let e = 0; e < res("count").value.length; e++) {
        const paths = pathsFrom(sg, g.output, node.id, e).map((p) => p.reduce((a, w) => a * w, 1));
        expect(res("count").value[e]).toBe(paths.length);
        checkedElements++;
        if (paths.length === 0) {
          expect(res("maxprod").value[e]).toBe(-Infinity);
          continue;
        }
        const sum = paths.reduce((a, b) => a + b, 0);
        expect(res("sumprod").value[e]).toBeCloseTo(sum, 6);
        expect(res("maxprod").value[e]).toBeCloseTo(Math.max(...paths), 9);
        const h = res("entropy").value[e]!;
        expect(h).toBeGreaterThanOrEqual(-1e-9);
        expect(h).toBeLessThanOrEqual(Math.log(paths.length) + 1e-9);
      }
    }
  });

  test("the random graphs exercised the checks", () => {
    expect(checkedElements).toBeGreaterThan(100);
  });
});
