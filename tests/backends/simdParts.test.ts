// The parts of the WebAssembly kernel compiler (compiler/backends/js/simd/), each on its own:
// linear forms, reading an update as a reduction, versioning rewrites, plans, and the f32x4 exp and
// log polynomials run for real.

import { describe, expect, it } from "vitest";
import { accVar, type Kernel } from "../../compiler/kernel.ts";
import { keyOf, linearize, linToSx, mentions, varsOf } from "../../compiler/backends/js/simd/linearForms.ts";
import { emitExpF32, emitLogF32 } from "../../compiler/backends/js/simd/mathF32.ts";
import { planKernel } from "../../compiler/backends/js/simd/plan.ts";
import { combineOp, expOf, lseTerms, separate, termsOf } from "../../compiler/backends/js/simd/reductions.ts";
import type { WasmLayout } from "../../compiler/backends/js/simd/types.ts";
import { assume, orderedSigns, scalarConditions, signSelects } from "../../compiler/backends/js/simd/versioning.ts";
import { FuncBuilder, ModuleBuilder } from "../../compiler/backends/js/wasm.ts";
import * as S from "../../ir/scalar.ts";
import { scaleBy, semirings } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";

const [i, j, k] = [S.v("i"), S.v("j"), S.v("k")];
const show = (x: S.Sx) => S.showSx(x);

describe("linear forms", () => {
  it("collects coefficients and drops cancelled terms", () => {
    const lin = linearize(S.add(S.sub(S.mul(2, i), S.neg(S.mul(j, 3))), S.sub(S.add(i, 4), S.mul(i, 3))));
    expect(lin.c).toBe(4);
    expect([...lin.terms.values()].map((t) => [show(t.atom), t.coef])).toEqual([["j", 3]]);
    expect(show(linToSx(lin, true))).toBe(show(S.add(S.c(4), S.mul(j, 3))));
  });
  it("keeps non-linear parts as atoms", () => {
    const floorDiv = S.floor(S.div(i, 4));
    const lin = linearize(S.add(S.mul(floorDiv, 8), S.mul(i, j)));
    expect([...lin.terms.values()].map((t) => [show(t.atom), t.coef])).toEqual([[show(floorDiv), 8], [show(S.mul(i, j)), 1]]);
  });
  it("knows which variables an expression mentions", () => {
    const x = S.select(S.gt(i, 0), S.load("b", [j]), S.c(1));
    expect([...varsOf(x)].sort()).toEqual(["i", "j"]);
    expect(mentions(x, "k")).toBe(false);
    expect(keyOf(x)).toBe(keyOf(S.select(S.gt(i, 0), S.load("b", [j]), S.c(1))));
  });
});

/** acc ⊕ scale(w, g) for a semiring's lanes, as the scheduler writes a backward update. */
function backwardUpdate(sr: Semiring): S.Sx[] {
  const acc = sr.lanes.map((_, l) => S.v(accVar(l)));
  const g = sr.lanes.map((lane) => S.load(`a9_${lane}`, [j]));
  return sr.plus(acc, scaleBy(sr, S.load("w", [i, j]), g));
}

describe("reading an update as a reduction", () => {
  it("combineOp finds acc ⊙ term, and nothing where the accumulator is inside the term", () => {
    const t = S.mul(S.load("x", [i]), 2);
    expect(combineOp(S.add(S.v("acc0"), t), "acc0")).toEqual({ op: "add", term: t });
    expect(combineOp(S.max(t, S.v("acc0")), "acc0")).toEqual({ op: "max", term: t });
    expect(combineOp(S.add(S.v("acc0"), S.mul(S.v("acc0"), t)), "acc0")).toBeUndefined();
    expect(combineOp(S.mul(S.v("acc0"), t), "acc0")).toBeUndefined();
  });

  it("termsOf gives the maximal accumulator-free subexpressions, in first-seen order", () => {
    const [t0, t1] = [S.load("p", [i]), S.load("q", [i])];
    const terms = termsOf([S.add(S.v("acc0"), S.mul(t0, t1)), S.max(S.v("acc1"), t1)], ["acc0", "acc1"]);
    expect(terms.map(show)).toEqual([show(S.mul(t0, t1)), show(t1)]);
  });

  it("lseTerms reads the declared log-sum-exp ⊕ of entropy and logsum, and nothing else", () => {
    for (const sr of [semirings.entropy, semirings.logsum]) {
      const up = backwardUpdate(sr);
      const accs = sr.lanes.map((_, l) => accVar(l));
      const g = sr.lanes.map((lane) => S.load(`a9_${lane}`, [j]));
      const found = lseTerms(up, accs, sr.traits.plus, sr.zero);
      expect(found?.lse, sr.name).toBe(0);
      expect(found?.terms.map(show), sr.name).toEqual(scaleBy(sr, S.load("w", [i, j]), g).map(show));
    }
    const sum = semirings.sumprod;
    expect(lseTerms(backwardUpdate(sum), ["acc0"], sum.traits.plus, sum.zero)).toBeUndefined();
    // A log-sum-exp law needs 0̄ = −∞ on its lane.
    expect(lseTerms(backwardUpdate(semirings.logsum), ["acc0"], { kind: "logsumexp", lane: 0 }, [0])).toBeUndefined();
  });

  it("separate splits Σ_i x_i·(δ(i, k) − y_k) into a per-row sum and a diagonal term", () => {
    const x = S.load("x", [i]), y = S.load("y", [k]);
    const delta = S.select(S.eq(i, k), 1, 0);
    const ms = separate(S.mul(x, S.sub(delta, y)), new Set(["i"]), "k")!;
    expect(ms.map((m) => ({ coef: m.coef, factors: m.factors.map(show), delta: m.delta }))).toEqual([
      { coef: 1, factors: [show(x)], delta: "i" },
      { coef: -1, factors: [show(x), show(y)], delta: undefined },
    ]);
    // A factor that mixes the reduction and the vector variable is not separable.
    expect(separate(S.exp(S.mul(x, y)), new Set(["i"]), "k")).toBeUndefined();
  });

  it("expOf keeps no exp where a log or a constant cancels it", () => {
    const y = S.load("y", [i]);
    expect(show(expOf(S.sub(S.log(y), S.c(0))))).toBe(show(S.mul(S.mul(S.c(1), y), S.div(1, S.c(1)))));
    expect(show(expOf(S.add(S.log(y), j)))).toBe(show(S.mul(S.mul(S.c(1), y), S.exp(j))));
  });
});

describe("versioning rewrites", () => {
  it("assume replaces a condition by a constant and simplifies max(x, −∞)", () => {
    const c = S.eq(S.load("g", [i]), S.NEG_INF);
    const x = S.max(S.load("a", [k]), S.select(c, S.NEG_INF, S.load("b", [k])));
    expect(show(assume(x, c, true))).toBe(show(S.load("a", [k])));
    expect(show(assume(x, c, false))).toBe(show(S.max(S.load("a", [k]), S.load("b", [k]))));
  });

  it("scalarConditions lists the select conditions free of the vector variable, most frequent first", () => {
    const [c1, c2] = [S.gt(S.load("p", [i]), 0), S.gt(S.load("q", [i]), 0)];
    const cv = S.gt(S.load("r", [k]), 0);
    const xs = [S.select(c1, 1, 2), S.select(c2, S.select(c2, 3, 4), 5), S.select(cv, 6, 7)];
    expect(scalarConditions(xs, "k", ["acc0"]).map(show)).toEqual([show(c2), show(c1)]);
  });

  it("maxprod's scale: w·select(w ≥ 0, hi, lo) becomes max(w·hi, w·lo) where hi ≥ lo", () => {
    const w = S.load("w", [i, k]);
    const [hi, lo] = [S.load("a9_hi", [i]), S.load("a9_lo", [i])];
    const lanes = semirings.maxprod.scale!(w, [hi, lo]);
    const pairs = lanes.flatMap((x) => signSelects(x, "k"));
    expect(pairs.map((p) => [show(p.a), show(p.b)])).toEqual([[show(hi), show(lo)], [show(lo), show(hi)]]);
    const env = (wv: number, h: number, l: number) => ({ vars: { i: 0, k: 0 }, load: (ref: string) => (ref === "w" ? wv : ref === "a9_hi" ? h : l) });
    for (const [wv, h, l] of [[2, 3, -1], [-2, 3, -1], [0, 5, 5], [-0.5, 1, 1]])
      lanes.forEach((x) => {
        const ordered = orderedSigns(x, "k", hi, lo);
        expect(S.evaluate(ordered, env(wv!, h!, l!))).toBe(S.evaluate(x, env(wv!, h!, l!)));
      });
  });
});

const layout = (shapes: Record<string, number[]>): WasmLayout => ({
  precision: "f32",
  addr: () => 64,
  isInt: () => false,
  shapeOf: (b) => shapes[b]!,
  isConst: () => false,
  addBuffer: () => {},
});

describe("plans", () => {
  const target = (shapes: Record<string, number[]>) => ({ L: 4, VX: "f32x4", layout: layout(shapes) });
  // y[r, c] += A[r, i] · B[i, c]
  const matmul: Kernel = {
    name: "mm", comment: "", vars: [{ name: "r", extent: 8 }, { name: "c", extent: 16 }, { name: "i", extent: 5 }],
    targets: ["y"], index: [S.v("r"), S.v("c")],
    update: [S.add(S.v("acc0"), S.mul(S.load("A", [S.v("r"), S.v("i")]), S.load("B", [S.v("i"), S.v("c")])))],
  };
  const shapes = { y: [8, 16], A: [8, 5], B: [5, 16] };

  it("a contraction runs along the target's last axis, rows tiled, the reduction innermost", () => {
    const plan = planKernel(matmul, {}, target(shapes))!;
    expect(plan.form).toBe("map");
    expect(plan.v).toBe("c");
    expect(plan.levels.map((lv) => [lv.name, lv.step])).toEqual([["r", 4], ["c", 8], ["i", 1]]);
    expect(plan.instances).toHaveLength(8);
    expect(plan.note).toBe("f32x4 over c, reducing i, tile r×4, c×8");
  });

  it("a row sum reduces along the summed axis; a guard, or a last axis under one vector, stays JS", () => {
    const rowSum: Kernel = { ...matmul, vars: [{ name: "r", extent: 8 }, { name: "i", extent: 16 }], index: [S.v("r")], update: [S.add(S.v("acc0"), S.load("B", [S.v("r"), S.v("i")]))] };
    const plan = planKernel(rowSum, {}, target({ y: [8], B: [8, 16] }))!;
    expect([plan.form, plan.v]).toEqual(["reduce", "i"]);
    expect(planKernel({ ...matmul, guard: S.gt(S.v("i"), 0) }, {}, target(shapes))).toBeNull();
    const narrow: Kernel = { ...matmul, vars: [{ name: "r", extent: 8 }, { name: "c", extent: 3 }, { name: "i", extent: 3 }] };
    expect(planKernel(narrow, {}, target({ y: [8, 3], A: [8, 3], B: [3, 3] }))).toBeNull();
  });

  it("an extent that is no multiple of the lane count leaves a tail", () => {
    const wide: Kernel = { ...matmul, vars: [{ name: "r", extent: 8 }, { name: "c", extent: 18 }, { name: "i", extent: 5 }] };
    expect(planKernel(wide, {}, target({ y: [8, 18], A: [8, 5], B: [5, 18] }))?.tail).toBe(16);
  });

  it("log-sum-exp sums only where the semiring's traits declare that ⊕", () => {
    const sr = semirings.logsum;
    // adj[r, c] = ⊕_i lift(W[r, i, c]) ⊗ g[i]
    const g = [S.load("a9_l", [S.v("i")])];
    const k: Kernel = {
      name: "bwd", comment: "", vars: [{ name: "r", extent: 4 }, { name: "c", extent: 8 }, { name: "i", extent: 6 }],
      targets: ["a1_l"], index: [S.v("r"), S.v("c")],
      update: sr.plus([S.v("acc0")], scaleBy(sr, S.load("W", [S.v("r"), S.v("i"), S.v("c")]), g)),
    };
    const t = target({ a1_l: [4, 8], a9_l: [6], W: [4, 6, 8] });
    const zeroOf = new Map([["a1_l", -Infinity], ["a9_l", -Infinity]]);
    expect(planKernel(k, { backward: { zeroOf, traits: sr.traits } }, t)?.form).toBe("lse");
    expect(planKernel(k, { backward: { zeroOf, traits: { ...sr.traits, plus: { kind: "other" } } } }, t)?.form).toBe("map");
    expect(planKernel(k, {}, t)?.form).toBe("map");
  });
});

describe("f32x4 exp and log", () => {
  /** Runs `body` on a vector loaded from memory (four f32 at byte 64) and stores the result there. */
  function vectorFn(body: (f: FuncBuilder, x: number) => void): (xs: number[]) => number[] {
    const mod = new ModuleBuilder(1);
    const f = new FuncBuilder([], []);
    const x = f.local("v128");
    f.i32(0).mem("v128.load", 64).set(x);
    f.i32(0);
    body(f, x);
    f.mem("v128.store", 64);
    mod.addFunc(f, "run");
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const { run } = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as { run: () => void };
    const view = new Float32Array(memory.buffer, 64, 4);
    return (xs) => {
      view.set(xs);
      run();
      return [...view];
    };
  }
  const exp = vectorFn(emitExpF32), log = vectorFn(emitLogF32);
  const ulps = (got: number, want: number) => Math.abs(got - want) / (Math.abs(Math.fround(want)) * 2 ** -23);

  it("exp is within 2 ulp over the f32 normal range", () => {
    for (let x = -87; x <= 88; x += 0.37) {
      const xs = [x, x + 0.1, x + 0.2, x + 0.3].map(Math.fround);
      exp(xs).forEach((got, l) => expect(ulps(got, Math.exp(xs[l]!)), `exp(${xs[l]})`).toBeLessThanOrEqual(2));
    }
  });

  it("log is within 2 ulp for normal inputs, and exact at 0, ∞ and negatives", () => {
    for (let e = -125; e <= 127; e += 3) {
      const xs = [1, 1.3, 1.7, 1.99].map((m) => Math.fround(m * 2 ** e));
      log(xs).forEach((got, l) => expect(Math.abs(got - Math.log(xs[l]!)), `log(${xs[l]})`).toBeLessThanOrEqual(2 * 2 ** -23 * Math.max(1, Math.abs(Math.log(xs[l]!)))));
    }
    expect(log([0, Infinity, -1, 1])).toEqual([-Infinity, Infinity, NaN, 0]);
  });

  it("outside the normal range: exp flushes to 0 below e^-87.7 and saturates near e^88.4; log reads subnormals (mathLog.test.ts sweeps it)", () => {
    const [under, under2, over, over2] = exp([-100, -88, 89, 100]);
    expect([under, under2]).toEqual([0, 0]);
    for (const x of [over!, over2!]) expect(x).toBeGreaterThanOrEqual(2.4e38);
    const sub = Math.fround(2 ** -140);
    expect(Math.abs(log([sub, 1, 1, 1])[0]! - Math.log(sub))).toBeLessThanOrEqual(Math.abs(Math.log(sub)) * 2 ** -23);
  });
});
