// The op cases (tests/oracle/opCases.ts) × every semiring on WebGPU (Dawn on SwiftShader): each
// case compiles once with all semirings, and every result must equal the JS module's. Random
// values, then values snapped to a few levels: exact zeros (log 0 = −∞ lanes) and tied paths.

import { test } from "vitest";
import { consumersOf, type Graph } from "../../ir/graph.ts";
import { opRules } from "../../ir/ops/index.ts";
import { named, probed } from "../oracle/opCases.ts";
import { randomFeed } from "../oracle/random.ts";
import { allSemirings, expectSameResults, runJs, runWgsl, wrtOf } from "./compare.ts";
import { describeGpu, suiteDevice } from "./device.ts";

const device = await suiteDevice();

describeGpu(device, "op cases × semirings: WGSL = JS", () => {
  test.each(named)("%s", async (label, c) => {
    const g = probed(c.build);
    const feeds = randomFeed(g, 17);
    const wrt = wrtOf(g);
    const [got, want] = await Promise.all([runWgsl(device!, g, feeds, allSemirings, wrt), runJs(g, feeds, allSemirings, wrt)]);
    expectSameResults(got, want, label);
  });

  test.each(named)("%s, with ties and zeros", async (label, c) => {
    const g = probed(c.build);
    const feeds = tiedFeed(g, 23);
    const wrt = wrtOf(g);
    const [got, want] = await Promise.all([runWgsl(device!, g, feeds, allSemirings, wrt), runJs(g, feeds, allSemirings, wrt)]);
    expectSameResults(got, want, `${label} (ties)`);
  });
});

/** Snaps random values onto a few levels (respecting domains), as tests/ops.test.ts does. */
function tiedFeed(g: Graph, seed: number) {
  const feed = randomFeed(g, seed);
  const consumers = consumersOf(g);
  for (const n of g.nodes) {
    const name = n.attrs["name"];
    if (typeof name !== "string" || !feed[name] || n.type.dtype === "i32") continue;
    const domains = consumers[n.id]!.map(({ node, slot }) => opRules[g.nodes[node]!.op].domain?.[slot]);
    const levels = domains.includes("positive") ? [1, 2] : domains.includes("nonzero") ? [-1, 1, 2] : [-1, 0, 1, 2];
    feed[name] = feed[name]!.map((v) => levels[Math.abs(Math.round(v * 3)) % levels.length]!);
  }
  return feed;
}
