// The op cases (tests/oracle/opCases.ts) × every semiring on WebGPU (Dawn on SwiftShader): each
// case compiles once with all semirings, and every result must equal the JS module's. Random
// values, then values snapped to a few levels: exact zeros (log 0 = −∞ lanes) and tied paths.

import { test } from "vitest";
import { named, probed } from "../oracle/opCases.ts";
import { randomFeed, tiedFeed } from "../oracle/random.ts";
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
