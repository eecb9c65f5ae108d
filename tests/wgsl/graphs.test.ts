// Multi-op graphs on WebGPU against the JS module: every semiring, branches and aggregation;
// larger graphs for full tiles and many workgroups; a 2-D dispatch grid.

import { test } from "vitest";
import { semirings, topk } from "../../ir/semirings/index.ts";
import { randomFeed } from "../oracle/random.ts";
import { allSemirings, expectSameResults, runJs, runWgsl, wrtOf } from "./compare.ts";
import { describeGpu, suiteDevice } from "./device.ts";
import { hugeGraph, largeGraphs, smallGraphs } from "./graphs.ts";

const device = await suiteDevice();
// Every semiring with topk(2), then topk(3) alone as in tests/backward.test.ts.
const small = Object.entries(smallGraphs).flatMap(([name, g]) => [
  [`${name}`, name, g, allSemirings] as const,
  [`${name} × topk(3)`, name, g, [topk(3)]] as const,
]);

describeGpu(device, "graphs: WGSL = JS", () => {
  test.each(small)("%s", async (label, name, g, srs) => {
    const feeds = randomFeed(g, 11);
    const wrt = wrtOf(g);
    const options = name === "broadcast" ? { aggregate: { x: [1] } } : {};
    const [got, want] = await Promise.all([runWgsl(device!, g, feeds, srs, wrt, options), runJs(g, feeds, srs, wrt, options)]);
    expectSameResults(got, want, label);
  });

  // expectation's raw Z reaches 1e-35 on these graphs, where f32 products underflow and GPUs flush
  // subnormals (JS keeps them until the f32 store); its stable form, entropy, is compared.
  const stable = allSemirings.filter((s) => s.name !== "expectation");
  test.each(Object.entries(largeGraphs))("%s (large)", async (name, g) => {
    const feeds = randomFeed(g, 5);
    const wrt = wrtOf(g);
    const [got, want] = await Promise.all([runWgsl(device!, g, feeds, stable, wrt), runJs(g, feeds, stable, wrt)]);
    expectSameResults(got, want, name);
  });

  test("4.2M elements: a 2-D grid of workgroups", async () => {
    const feeds = randomFeed(hugeGraph, 3);
    const srs = [semirings.sumprod];
    const [got, want] = await Promise.all([runWgsl(device!, hugeGraph, feeds, srs, ["x"]), runJs(hugeGraph, feeds, srs, ["x"])]);
    expectSameResults(got, want, "huge");
  });
});
