// Long products in f32: the log-domain semirings (entropy, logsum, maxabs) stay accurate where the
// raw expectation form (Z, r) overflows; and no semiring produces NaN, even for tensors with no
// path to the output or zero-weight edges everywhere.

import { describe, expect, test } from "vitest";
import { GraphBuilder, type Graph } from "../ir/graph.ts";
import { semirings, topk } from "../ir/semirings/index.ts";
import { compileAndLoad } from "./oracle/check.ts";
import { rng } from "./oracle/random.ts";

/** x → 200 × (h·a_i + h·b_i) → sum: 2^200 paths whose products reach e^±200. */
function chain(steps: number) {
  const b = new GraphBuilder("chain");
  const x = b.add("input", [], { name: "x", shape: [1] });
  let h = x;
  const params: Record<string, number[]> = {};
  const r = rng(99);
  for (let i = 0; i < steps; i++) {
    const a = b.add("param", [], { name: `a${i}`, shape: [1] });
    const c = b.add("param", [], { name: `b${i}`, shape: [1] });
    const mag = Math.exp(r.uniform(0.5, 1.5));
    params[`a${i}`] = [mag * (r.uniform(0, 1) < 0.5 ? -1 : 1)];
    params[`b${i}`] = [mag * r.uniform(0.5, 2)];
    h = b.add("add", [b.add("mul", [h, a]), b.add("mul", [h, c])]);
  }
  return { graph: b.build(b.add("sum", [h])), params };
}

async function readout(g: Graph, params: Record<string, number[]>, name: string, precision: "f32" | "f64") {
  const sr = name === "topk" ? topk(2) : semirings[name as keyof typeof semirings];
  const { mod } = await compileAndLoad(g, [sr], ["x"], precision);
  const res = mod.createModel(params).run({ x: [0.5] }, { topPath: false }).results[sr.name]!;
  return res.wrt["x"]!.value[0]!;
}

describe("numerics on a 200-step chain", () => {
  const { graph, params } = chain(200);

  test.each(["entropy", "logsum", "maxabs"])("%s in f32 is within 1e-4 of float64", async (name) => {
    const f32 = await readout(graph, params, name, "f32");
    const f64 = await readout(graph, params, name, "f64");
    expect(Number.isFinite(f64)).toBe(true);
    expect(Math.abs(f32 - f64) / Math.abs(f64)).toBeLessThan(1e-4);
  });

  test("the raw expectation form overflows in f32 where entropy does not", async () => {
    const raw = await readout(graph, params, "expectation", "f32");
    const stable = await readout(graph, params, "entropy", "f64");
    const rawF64 = await readout(graph, params, "expectation", "f64");
    expect(rawF64).toBeCloseTo(stable, 6); // both fine in float64 at this depth
    expect(Number.isFinite(raw) && Math.abs(raw - stable) / stable < 1e-2).toBe(false);
  });
});

describe("no NaN", () => {
  test.each([...Object.keys(semirings), "topk"])("%s: dead inputs, zero weights", async (name) => {
    const b = new GraphBuilder("dead");
    const x = b.add("input", [], { name: "x", shape: [3] });
    const unused = b.add("input", [], { name: "u", shape: [2] });
    const z = b.add("input", [], { name: "z", shape: [3] });
    // relu of negatives: every edge from x has weight 0; u reaches the output only through 0·u.
    const h = b.add("mul", [b.add("relu", [x]), z]);
    const dead = b.add("sum", [b.add("mul", [unused, b.add("constant", [], { shape: [1], values: [0] })])]);
    const g = b.build(b.add("add", [b.add("sum", [h]), dead]));
    const sr = name === "topk" ? topk(2) : semirings[name as keyof typeof semirings];
    const { mod } = await compileAndLoad(g, [sr], ["x", "u", "z"], "f32");
    const { results } = mod.createModel({}).run({ x: [-1, -2, 0], u: [1, 2], z: [0, 0, 0] });
    for (const t of Object.values(results[sr.name]!.wrt)) {
      for (const v of t.value) expect(Number.isNaN(v)).toBe(false);
      for (const lane of Object.values(t.lanes)) for (const v of lane) expect(Number.isNaN(v)).toBe(false);
    }
  });
});
