// Compile a graph, run the generated JS, and compare every requested adjoint with brute force.

import { expect } from "vitest";
import { compileGraph, importModule, type GeneratedModel } from "../../compiler/compile.ts";
import { namedNodes, type Graph } from "../../ir/graph.ts";
import type { Feeds } from "../../ir/interpret.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { bruteForce } from "./paths.ts";
import { scalarize } from "./scalarize.ts";

export async function compileAndLoad(g: Graph, semirings: readonly Semiring[], wrt?: string[], precision: "f32" | "f64" = "f64") {
  const { js } = compileGraph(g, { semirings, wrt, precision });
  const mod = await importModule(js.js);
  return { js, mod };
}

/** Lanes equal within a relative tolerance; infinities must match exactly. */
export function expectLanesClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string, atol = 1e-12): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(a)) expect.fail(`${what}[${i}] is NaN (expected ${e})`);
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) expect.fail(`${what}[${i}]: ${a} vs ${e}`);
      continue;
    }
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`${what}[${i}]: ${a} vs ${e}`);
  }
}

/** Splits params from inputs by the graph's leaves. */
export function splitFeeds(g: Graph, feeds: Feeds) {
  const params: Record<string, ArrayLike<number>> = {}, inputs: Record<string, ArrayLike<number>> = {};
  for (const n of g.nodes) {
    const name = n.attrs["name"];
    if (typeof name !== "string" || !(name in feeds)) continue;
    if (n.op === "param") params[name] = feeds[name]!;
    else inputs[name] = feeds[name]!;
  }
  return { params, inputs };
}

export async function expectMatchesBruteForce(
  g: Graph,
  feeds: Feeds,
  semirings: readonly Semiring[],
  wrt: string[],
  rtol = 1e-9,
  precision: "f32" | "f64" = "f64",
) {
  const { mod } = await compileAndLoad(g, semirings, wrt, precision);
  const { params, inputs } = splitFeeds(g, feeds);
  const model: GeneratedModel = mod.createModel(params);
  const { results } = model.run(inputs);
  const sg = scalarize(g, feeds);
  const named = namedNodes(g);
  for (const sr of semirings) {
    for (const name of wrt) {
      const node = named.get(name)!;
      const want = bruteForce(g, feeds, sr, node.id, sg);
      const got = results[sr.name]!.wrt[name]!;
      sr.lanes.forEach((lane, l) =>
        expectLanesClose(got.lanes[lane]!, want.map((v) => v[l]!), rtol, `${sr.name} ∂/∂${name} lane ${lane}`, precision === "f32" ? 1e-5 : 1e-12),
      );
    }
  }
  return { results, sg, model };
}
