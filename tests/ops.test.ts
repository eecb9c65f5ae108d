// The op × semiring matrix: one small graph per op (and variant), compiled to JS, every requested
// adjoint lane against brute-force path enumeration. Random values, then values drawn from a
// tiny set so that exact zeros and ties are everywhere.

import { describe, test } from "vitest";
import { opRules } from "../ir/ops/index.ts";
import { semirings, topk } from "../ir/semirings/index.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import { expectMatchesBruteForce } from "./oracle/check.ts";
import { named, probed, withoutEdges } from "./oracle/opCases.ts";
import { randomFeed, tiedFeed } from "./oracle/random.ts";
import type { Graph } from "../ir/graph.ts";

const all: Semiring[] = [...Object.values(semirings), topk(2)];

const wrtOf = (g: Graph) =>
  g.nodes.filter((n) => (opRules[n.op].role === "input" || opRules[n.op].role === "param") && n.type.dtype === "f32").map((n) => n.attrs["name"] as string);

const rows = named.filter(([, c]) => !withoutEdges.has(c.name)).flatMap(([label, c]) => all.map((sr) => [`${label} × ${sr.name}`, c.build, sr] as const));

describe("op × semiring vs brute force", () => {
  test.each(rows)("%s", async (_label, build, sr) => {
    const g = probed(build);
    await expectMatchesBruteForce(g, randomFeed(g, 17), [sr], wrtOf(g), 1e-8);
  });
  test.each(rows)("%s, with ties and zeros", async (_label, build, sr) => {
    const g = probed(build);
    await expectMatchesBruteForce(g, tiedFeed(g, 23), [sr], wrtOf(g), 1e-8);
  });
  // f32 storage is the default and takes other code paths (vectorised kernels): check it too.
  test.each(rows)("%s, f32", async (_label, build, sr) => {
    const g = probed(build);
    await expectMatchesBruteForce(g, randomFeed(g, 31), [sr], wrtOf(g), 2e-5, "f32");
  });
  // Several semirings share one module (one forward, one backward each): none may disturb another.
  test.each(named.filter(([, c]) => !withoutEdges.has(c.name)))("%s, all semirings in one module, f32", async (_label, c) => {
    const g = probed(c.build);
    await expectMatchesBruteForce(g, randomFeed(g, 17), all, wrtOf(g), 2e-5, "f32");
  });
});
