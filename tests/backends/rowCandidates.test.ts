// A log-softmax row under an idempotent ⊕ with a linear ⊗ (simd/candidates.ts): the reduction over
// the row becomes a pass finding each adjoint lane's extremes, then a map over the row at those
// points. Chosen from the declared traits; equal to the JS loops' full reduction (ties, 0̄ adjoints,
// rows of 0̄, signed weights, extents no multiple of the lanes) and to the brute-force path oracle.

import { describe, expect, test } from "vitest";
import { candidateRewrite } from "../../compiler/backends/js/simd/candidates.ts";
import type { Kernel } from "../../compiler/kernel.ts";
import { GraphBuilder } from "../../ir/graph.ts";
import * as S from "../../ir/scalar.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { scaleBy, semirings, topk } from "../../ir/semirings/index.ts";
import { expectMatchesBruteForce } from "../oracle/check.ts";
import { rng } from "../oracle/random.ts";
import { runParity } from "./kernelParity.ts";

/** adj[r, j] = ⊕_i lift(δij − p[r, j]) ⊗ g[r, i]: a log-softmax row's backward, as the schedule builds it. */
function rowKernel(sr: Semiring): Kernel {
  const g = sr.lanes.map((l) => S.load(`g_${l}`, [S.v("r"), S.v("i")]));
  const w = S.sub(S.select(S.eq(S.v("i"), S.v("j")), 1, 0), S.exp(S.load("y", [S.v("r"), S.v("j")])));
  return {
    name: "bwd", comment: "", vars: [{ name: "r", extent: 3 }, { name: "j", extent: 40 }, { name: "i", extent: 40 }],
    targets: sr.lanes.map((l) => `a_${l}`), index: [S.v("r"), S.v("j")],
    update: sr.plus(sr.lanes.map((_, l) => S.v(`acc${l}`)), scaleBy(sr, w, g)),
  };
}
const zeroOf = (sr: Semiring) => new Map(sr.lanes.flatMap((l, n) => [[`a_${l}`, sr.zero[n]!], [`g_${l}`, sr.zero[n]!]] as const));

describe("the rewrite is read off the declared algebra", () => {
  test("maxprod (idempotent ⊕, linear ⊗): the row's reduction gives way to 2 × 4 candidate points", () => {
    const sr = semirings.maxprod;
    const r = candidateRewrite(rowKernel(sr), { backward: { zeroOf: zeroOf(sr), traits: sr.traits } })!;
    expect(r.cand.red.name).toBe("i");
    expect(r.cand.loads.map((l) => S.showSx(l))).toEqual(["g_hi[r, i]", "g_lo[r, i]"]);
    expect(r.kernel.vars.map((v) => v.name)).toEqual(["r", "j"]);
    expect(r.kernel.update.every((u) => !S.varsOf(u).has("i"))).toBe(true);
  });

  test.each([
    ["⊕ not declared idempotent", { plus: { kind: "other" } }],
    ["⊗ not declared linear", { scale: "other" }],
  ] as const)("%s: no rewrite", (_what, change) => {
    const sr = semirings.maxprod;
    expect(candidateRewrite(rowKernel(sr), { backward: { zeroOf: zeroOf(sr), traits: { ...sr.traits, ...change } } })).toBeUndefined();
  });

  test.each(["sumprod", "entropy", "logsum", "maxabs", "topk", "count", "expectation"] as const)("%s: no rewrite", (name) => {
    const sr = name === "topk" ? topk(2) : semirings[name];
    expect(candidateRewrite(rowKernel(sr), { backward: { zeroOf: zeroOf(sr), traits: sr.traits } })).toBeUndefined();
  });

  test("the weight reading i beyond δ(i, j) (softmax's y_i·(δij − y_j)): no rewrite", () => {
    const sr = semirings.maxprod;
    const k = rowKernel(sr);
    const yi = S.load("y", [S.v("r"), S.v("i")]);
    const g = sr.lanes.map((l) => S.load(`g_${l}`, [S.v("r"), S.v("i")]));
    const w = S.mul(yi, S.sub(S.select(S.eq(S.v("i"), S.v("j")), 1, 0), S.load("y", [S.v("r"), S.v("j")])));
    const softmax = { ...k, update: sr.plus(sr.lanes.map((_, l) => S.v(`acc${l}`)), scaleBy(sr, w, g)) };
    expect(candidateRewrite(softmax, { backward: { zeroOf: zeroOf(sr), traits: sr.traits } })).toBeUndefined();
  });
});

/**
 * Two log-softmax rows in a chain, so the first row's adjoints have hi ≠ lo, of both signs:
 * out = Σ log_softmax(log_softmax(x) ⊙ w) ⊙ probe. `ties`: probe takes 3 values (many equal
 * extremes); `pickOnly`: out = the one element [0, 2] instead (every other adjoint 0̄, row 1 all 0̄).
 */
function chain(rows: number, n: number, pickOnly: boolean) {
  const b = new GraphBuilder("rows");
  const x = b.add("input", [], { name: "x", shape: [rows, n] });
  const w = b.add("param", [], { name: "w", shape: [rows, n] });
  const probe = b.add("param", [], { name: "probe", shape: [rows, n] });
  const y1 = b.add("name", [b.add("log_softmax", [x])], { label: "y1" });
  const y2 = b.add("log_softmax", [b.add("mul", [y1, w])]);
  const out = pickOnly ? b.add("pick", [y2], { index: [0, 2] }) : b.add("sum", [b.add("mul", [y2, probe])]);
  return b.build(out);
}

function feeds(rows: number, n: number, ties: boolean, seed: number): Record<string, Float64Array> {
  const R = rng(seed);
  const arr = (f: () => number) => Float64Array.from({ length: rows * n }, f);
  return {
    x: arr(() => R.uniform(-3, 3)),
    w: arr(() => (ties ? [-1.5, 0.5, 2][R.int(0, 3)]! : R.uniform(-2, 2))),
    probe: arr(() => (ties ? [-1, 0.25, 1][R.int(0, 3)]! : R.uniform(-1, 1))),
  };
}

describe("equal to the full reduction of the JS loops", () => {
  const shapes = [[3, 37], [2, 64], [1, 4]] as const;
  const cases = shapes.flatMap(([rows, n]) =>
    [false, true].flatMap((ties) => [false, true].flatMap((pickOnly) => (["f32", "f64"] as const).map((p) => [rows, n, ties, pickOnly, p] as const))),
  );
  test.each(cases)("rows %i × %i, ties %s, one picked element %s, %s", (rows, n, ties, pickOnly, precision) => {
    const g = chain(rows, n, pickOnly);
    const { diffs } = runParity(g, [semirings.maxprod], feeds(rows, n, ties, rows * n), precision);
    const rewritten = diffs.filter((d) => d.note.includes("extremes"));
    expect(rewritten.length, "both rows' backward kernels are rewritten").toBe(2);
    // max and min of the same terms: the same values as the full reduction, up to the f32 lanes'
    // rounding of each product (the JS loops multiply in f64)
    const tol = precision === "f32" ? 1e-6 : 0;
    expect(rewritten.map((d) => `${d.kernel}: ${d.mismatch ?? d.error}`)).toEqual(rewritten.map((d) => `${d.kernel}: ${d.error <= tol ? d.error : "over"}`));
    expect(rewritten.every((d) => d.mismatch === undefined && d.error <= tol)).toBe(true);
  });
});

describe("equal to the brute-force path oracle on small rows", () => {
  test.each([[false, "f64"], [true, "f64"], [false, "f32"], [true, "f32"]] as const)("ties %s, %s", async (ties, precision) => {
    const g = chain(2, 5, false);
    await expectMatchesBruteForce(g, feeds(2, 5, ties, 11), [semirings.maxprod], ["x", "y1"], precision === "f32" ? 1e-5 : 1e-12, precision);
  });
});
