// A linear layer's backward (the contraction x̄[r, k] = ⊕_o ȳ[r, o] ⊗ w[o, k]) and its forward in
// every tile shape the plan picks, against the JS loops: row tiles of 6, 4, 3, 2 and 1, vector
// blocks of 16, 8 and 4 lanes, extents that are no multiple of the tile or of the lane count (JS
// tails), in f32 and f64; with dense adjoints, with 0̄ adjoints scattered through the rows (relu: −∞
// in the log domain, an empty interval for maxprod) and with all but one adjoint 0̄ (a picked
// element); and one row whose weights are streamed once with the reduction outermost. Tolerances
// as in parity.test.ts.

import { describe, expect, test } from "vitest";
import { GraphBuilder } from "../../ir/graph.ts";
import { semiringByName, semiringNames } from "../../ir/semirings/index.ts";
import { rng } from "../oracle/random.ts";
import { runParity } from "./kernelParity.ts";

const semirings = semiringNames.map((n) => semiringByName(n, { k: 2 }));
const tolerance = { f32: 1e-5, f64: 1e-12 };

type Head = "dense" | "relu" | "pick";

function layer(R: number, I: number, O: number, head: Head) {
  const b = new GraphBuilder("contraction");
  const y = b.add("linear", [b.add("input", [], { name: "x", shape: [R, I] }), b.add("param", [], { name: "w", shape: [O, I] })]);
  const probe = () => b.add("param", [], { name: "probe", shape: [R, O] });
  const out =
    head === "pick" ? b.add("pick", [y], { index: [R - 1, O - 1] })
    : b.add("sum", [b.add("mul", [head === "relu" ? b.add("relu", [y]) : y, probe()])]);
  const r = rng(R * 1000 + I * 10 + O);
  // Exact zeros and both signs among the weights and inputs: products of 0 and sign flips of the
  // (max, min) pair.
  const vals = (n: number) => Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : r.uniform(-2, 2)));
  const feed: Record<string, Float64Array> = { x: vals(R * I), w: vals(O * I) };
  if (head !== "pick") feed["probe"] = vals(R * O);
  return { g: b.build(out), feed };
}

// [rows, in (k), out (o)]: the tiles divide, do not divide, or leave a tail of k; one row whose
// weights exceed plan.ts's STREAM_BYTES (8 MiB) in f32 and in f64 runs o outermost (log-sum-exp
// sums excepted).
// One row of 30 or 21 outputs: the forward's reduce form tiles o by 6 or 3.
const shapes: [number, number, number][] = [[8, 64, 12], [6, 40, 5], [3, 22, 7], [5, 9, 33], [1, 512, 4100], [1, 258, 4100], [1, 64, 30], [1, 40, 21]];
const heads: Head[] = ["dense", "relu", "pick"];

describe("a contraction's tiles agree with the JS loops", () => {
  const notes = new Set<string>();
  test.each(shapes.flatMap((s) => heads.flatMap((h) => (["f32", "f64"] as const).map((p) => [...s, h, p] as const))))(
    "%i × %i → %i, %s adjoints, %s",
    (R, I, O, head, precision) => {
      const { g, feed } = layer(R, I, O, head);
      const { diffs } = runParity(g, semirings, feed, precision);
      const bwd = diffs.filter((d) => d.kernel.includes("("));
      expect(bwd.length).toBeGreaterThan(0);
      for (const d of bwd) if (/reducing o/.test(d.note)) notes.add(`${d.kernel.replace(/^\S+ /, "")} ${d.note}`);
      for (const d of diffs) if (!d.kernel.includes("(") && /reducing over k/.test(d.note)) notes.add(`(forward) ${d.note}`);
      const bad = diffs.filter((d) => d.mismatch !== undefined || d.error > tolerance[precision]);
      expect(bad.map((d) => `${d.kernel} [${d.note}]: ${d.mismatch ?? `error ${d.error.toExponential(2)}`}`)).toEqual([]);
    },
  );

  test("the cases cover row tiles of 6, 4, 3, 2 and 1 and vector blocks of 16, 8 and 4", () => {
    const all = [...notes];
    const has = (sr: string, re: RegExp) => all.some((n) => n.startsWith(`(${sr})`) && re.test(n));
    expect(has("sumprod", /tile r0×4/)).toBe(true);
    expect(has("sumprod", /tile r0×2/)).toBe(true);
    expect(has("entropy", /log-sum-exp sums, tile r0×2/)).toBe(true);
    expect(has("maxprod", /k×16/)).toBe(true);
    expect(has("maxprod", /k×8/)).toBe(true);
    expect(has("maxprod", /reducing o$/)).toBe(true);
    expect(all.some((n) => !/tile/.test(n))).toBe(true);
    for (const sr of ["sumprod", "maxprod", "topk"]) {
      expect(has(sr, /f32x4 .*o outermost/), sr).toBe(true);
      expect(has(sr, /f64x2 .*o outermost/), sr).toBe(true);
    }
    expect(all.filter((n) => /log-sum-exp/.test(n) && /outermost/.test(n))).toEqual([]);
    expect(has("forward", /tile o×6$/)).toBe(true);
    expect(has("forward", /tile o×3$/)).toBe(true);
  });
});
