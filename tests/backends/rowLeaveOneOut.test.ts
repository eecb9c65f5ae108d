// A log-softmax row's backward as the diagonal term ⊕ one weight times the ⊕ of every other
// adjoint (simd/leaveOneOut.ts): per row a prefix and a suffix ⊕ of the adjoints, then O(1) per
// point. Chosen from the kernel's form and the semiring's declared algebra; equal to the JS loops'
// full reduction (f32 within rounding, f64 to 1e-15, selecting semirings exactly) on dense rows,
// rows with one non-0̄ adjoint, rows of 0̄, rows with 0̄ (−∞) adjoints among live ones, ties, extents
// no multiple of the lanes; and equal to the brute-force path oracle on small rows.

import { describe, expect, test } from "vitest";
import { leaveOneOutRewrite } from "../../compiler/backends/js/simd/leaveOneOut.ts";
import type { KernelOptions } from "../../compiler/backends/js/simd/types.ts";
import type { Kernel } from "../../compiler/kernel.ts";
import { GraphBuilder } from "../../ir/graph.ts";
import * as S from "../../ir/scalar.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { scaleBy, semirings, topk } from "../../ir/semirings/index.ts";
import { expectMatchesBruteForce } from "../oracle/check.ts";
import { rng } from "../oracle/random.ts";
import { runParity } from "./kernelParity.ts";

/** adj[r, j] = ⊕_i lift(w) ⊗ g[r, i], w = δij − e^y[r, j] by default: a log-softmax row's backward, as the schedule builds it. */
function rowKernel(sr: Semiring, w: S.Sx = S.sub(S.select(S.eq(S.v("i"), S.v("j")), 1, 0), S.exp(S.load("y", [S.v("r"), S.v("j")])))): Kernel {
  const g = sr.lanes.map((l) => S.load(`g_${l}`, [S.v("r"), S.v("i")]));
  return {
    name: "bwd", comment: "", vars: [{ name: "r", extent: 3 }, { name: "j", extent: 40 }, { name: "i", extent: 40 }],
    targets: sr.lanes.map((l) => `a_${l}`), index: [S.v("r"), S.v("j")],
    update: sr.plus(sr.lanes.map((_, l) => S.v(`acc${l}`)), scaleBy(sr, w, g)),
  };
}
const options = (sr: Semiring, change: Partial<Semiring["traits"]> = {}): KernelOptions => ({
  backward: {
    zeroOf: new Map(sr.lanes.flatMap((l, n) => [[`a_${l}`, sr.zero[n]!], [`g_${l}`, sr.zero[n]!]] as const)),
    traits: { ...sr.traits, ...change },
    plus: (a, b) => sr.plus(a, b),
    laneOf: new Map(sr.lanes.flatMap((l, n) => [[`a_${l}`, n], [`g_${l}`, n]] as const)),
  },
});
// (count's lift reads no weight, so its row has no δ: a plain sum, not this form)
const rewritten = ["maxprod", "entropy", "logsum", "maxabs", "expectation", "sumprod", "topk"] as const;
const named = (name: (typeof rewritten)[number]) => (name === "topk" ? topk(2) : semirings[name]);

describe("the rewrite is read off the kernel's form and the declared algebra", () => {
  test.each(rewritten)("%s: the reduction over i gives way to the diagonal and the prefix and suffix ⊕", (name) => {
    const sr = named(name);
    const r = leaveOneOutRewrite(rowKernel(sr), options(sr))!;
    expect(r.loo.red.name).toBe("i");
    expect(r.loo.loads.map((l) => S.showSx(l))).toEqual(sr.lanes.map((l) => `g_${l}[r, i]`));
    expect(r.kernel.vars.map((v) => v.name)).toEqual(["r", "j"]);
    expect(r.kernel.update.every((u) => !S.varsOf(u).has("i"))).toBe(true);
  });

  test.each([
    ["⊕ declared as nothing usable", { plus: { kind: "other" } }],
    ["0̄ not declared absorbing", { zeroAbsorbs: false }],
  ] as const)("%s: no rewrite", (_what, change) => {
    const sr = semirings.entropy;
    expect(leaveOneOutRewrite(rowKernel(sr), options(sr, change))).toBeUndefined();
  });

  test("no ⊕ given with the kernels: no rewrite", () => {
    const sr = semirings.logsum;
    const { plus: _plus, ...rest } = options(sr).backward!;
    expect(leaveOneOutRewrite(rowKernel(sr), { backward: rest })).toBeUndefined();
  });

  test("a weight reading i beyond δ(i, j) (softmax's y_i·(δij − y_j)): no rewrite", () => {
    const sr = semirings.entropy;
    const y = (v: string) => S.load("y", [S.v("r"), S.v(v)]);
    expect(leaveOneOutRewrite(rowKernel(sr, S.mul(y("i"), S.sub(S.select(S.eq(S.v("i"), S.v("j")), 1, 0), y("j")))), options(sr))).toBeUndefined();
  });

  test("an update reading only some lanes of the adjoint at i: no rewrite", () => {
    const sr = semirings.entropy;
    const k = rowKernel(sr);
    // e's term reads g_L[r, i] only: the adjoint element is not ⊕-ed as a whole
    const partial = { ...k, update: k.update.map((u) => S.rewrite(u, (x) => (x.k === "load" && x.ref === "g_e" ? S.load("g_L", x.index) : undefined))) };
    expect(leaveOneOutRewrite(partial, options(sr))).toBeUndefined();
  });
});

/**
 * Two log-softmax rows in a chain, so the first row's adjoints come from the second's (hi ≠ lo, of
 * both signs): out = Σ log_softmax(log_softmax(x) ⊙ w) ⊙ probe. `ties`: w and probe take 3 values;
 * `zeros`: a third of w is 0, so the first row's adjoints hold 0̄ (−∞ in the log semirings) among
 * live ones; `pickOnly`: out = the one element [0, 2] (every other adjoint 0̄, row 1 all 0̄).
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

function feeds(rows: number, n: number, kind: "random" | "ties" | "zeros", seed: number): Record<string, Float64Array> {
  const R = rng(seed);
  const arr = (f: () => number) => Float64Array.from({ length: rows * n }, f);
  return {
    x: arr(() => R.uniform(-3, 3)),
    w: arr(() => (kind === "ties" ? [-1.5, 0.5, 2][R.int(0, 3)]! : kind === "zeros" && R.int(0, 3) === 0 ? 0 : R.uniform(-2, 2))),
    probe: arr(() => (kind === "ties" ? [-1, 0.25, 1][R.int(0, 3)]! : R.uniform(-1, 1))),
  };
}

/** The semirings whose log-softmax rows take the rewrite (sumprod's and count's stay separable sums). */
const looSemirings = [semirings.maxprod, semirings.entropy, semirings.logsum, semirings.maxabs, semirings.expectation, topk(2)];
const selecting = new Set(["maxprod", "maxabs", "topk"]);

describe("equal to the full reduction of the JS loops", () => {
  const shapes = [[3, 37], [1, 37], [2, 64], [1, 4]] as const;
  const cases = shapes.flatMap(([rows, n]) =>
    (["random", "ties", "zeros"] as const).flatMap((kind) => [false, true].flatMap((pickOnly) => (["f32", "f64"] as const).map((p) => [rows, n, kind, pickOnly, p] as const))),
  );
  test.each(cases)("rows %i × %i, %s weights, one picked element %s, %s", (rows, n, kind, pickOnly, precision) => {
    const { diffs } = runParity(chain(rows, n, pickOnly), looSemirings, feeds(rows, n, kind, rows * n), precision);
    const loo = diffs.filter((d) => d.note.includes("prefix and suffix"));
    expect(loo.map((d) => d.kernel.replace(/^bwd_\d+_\d+ /, "")).sort(), "both rows' backward kernels, in every semiring").toEqual(
      looSemirings.flatMap((sr) => [`(${sr.name})`, `(${sr.name})`]).sort(),
    );
    // Selecting semirings pick the same term (f64: bit for bit; f32 lanes round each product where
    // the JS loops multiply in f64); log-sum-exp and sums group the terms differently.
    const tol = (name: string) => (precision === "f32" ? 1e-6 : selecting.has(name) ? 0 : 2e-15);
    const report = (d: (typeof loo)[number]) => `${d.kernel}: ${d.mismatch ?? (d.error <= tol(/\((\w+)\)/.exec(d.kernel)![1]!) ? "ok" : d.error)}`;
    expect(loo.map(report)).toEqual(loo.map((d) => `${d.kernel}: ok`));
  });

  test("sumprod and count keep their separable sums (no scan, no scratch)", () => {
    const { diffs } = runParity(chain(2, 16, false), [semirings.sumprod, semirings.count], feeds(2, 16, "random", 5), "f32");
    const rows = diffs.filter((d) => d.kernel.startsWith("bwd_") && d.note.includes(" over j"));
    expect(rows.length).toBe(4);
    expect(rows.every((d) => d.note.includes("separable sums"))).toBe(true);
  });
});

describe("equal to the brute-force path oracle on small rows", () => {
  test.each([
    ["random", "f64"], ["ties", "f64"], ["zeros", "f64"], ["random", "f32"], ["ties", "f32"], ["zeros", "f32"],
  ] as const)("%s weights, %s", async (kind, precision) => {
    const g = chain(2, 5, false);
    await expectMatchesBruteForce(g, feeds(2, 5, kind, 11), looSemirings, ["x", "y1"], precision === "f32" ? 1e-5 : 1e-12, precision);
  });
});
