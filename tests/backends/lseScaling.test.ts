// Log-sum-exp sums as scaled ordinary products (simd/reductions.ts lseProducts, simd/lseFallback.ts):
// exact to f32 rounding against the JS loops (which compute in f64), where the scaling holds and
// where it does not (rows whose terms span more than e^80, one huge term among tiny ones, sums
// below f32's normal range); and along a 200-step chain of contractions.

import { describe, expect, test } from "vitest";
import { planKernel } from "../../compiler/backends/js/simd/plan.ts";
import type { Kernel } from "../../compiler/kernel.ts";
import { GraphBuilder } from "../../ir/graph.ts";
import * as S from "../../ir/scalar.ts";
import { scaleBy, semirings } from "../../ir/semirings/index.ts";
import { compileAndLoad } from "../oracle/check.ts";
import { rng } from "../oracle/random.ts";
import { runParity } from "./kernelParity.ts";

const logDomain = [semirings.entropy, semirings.logsum];

describe("the products are read off the declared ⊕ and the terms' shape", () => {
  // adj[r, c] = ⊕_i lift(W[i, c]) ⊗ g[r, i], W a parameter
  const sr = semirings.entropy;
  const g = sr.lanes.map((l) => S.load(`g_${l}`, [S.v("r"), S.v("i")]));
  const k: Kernel = {
    name: "bwd", comment: "", vars: [{ name: "r", extent: 4 }, { name: "c", extent: 8 }, { name: "i", extent: 6 }],
    targets: ["a_L", "a_e"], index: [S.v("r"), S.v("c")],
    update: sr.plus([S.v("acc0"), S.v("acc1")], scaleBy(sr, S.load("W", [S.v("i"), S.v("c")]), g)),
  };
  const shapes: Record<string, number[]> = { a_L: [4, 8], a_e: [4, 8], g_L: [4, 6], g_e: [4, 6], W: [6, 8] };
  const cached: string[] = [];
  const target = {
    L: 4, VX: "f32x4",
    layout: { precision: "f32" as const, addr: () => 64, isInt: () => false, shapeOf: (b: string) => shapes[b]!, isConst: (b: string) => b === "W", addBuffer: () => {} },
    cacheOf: (x: S.Sx) => {
      cached.push(S.showSx(x));
      return S.load("cache0", [S.v("i"), S.v("c")]);
    },
  };
  const zeroOf = new Map([["a_L", -Infinity], ["a_e", 0], ["g_L", -Infinity], ["g_e", 0]]);

  test("entropy through a contraction: |w|·log|w| cached per weight element, the consumer's e per reduction point", () => {
    const plan = planKernel(k, { backward: { zeroOf, traits: sr.traits } }, target)!;
    expect(plan.form).toBe("lse");
    const [, e] = plan.lse!.products!;
    expect(plan.lse!.products![0]).toBeUndefined();
    expect(S.showSx(e!.perEdge!)).toBe(S.showSx(S.load("cache0", [S.v("i"), S.v("c")])));
    // |w|·log|w| (0 where w = 0), over the weight alone
    const w = S.abs(S.load("W", [S.v("i"), S.v("c")]));
    expect(cached).toEqual([S.showSx(S.select(S.eq(w, 0), 0, S.mul(w, S.select(S.isNegInf(S.log(w)), 0, S.log(w)))))]);
    expect(S.showSx(e!.perRow)).toBe(S.showSx(S.add(0, g[1]!)));
    // Both lanes are products: two rows share each weight load.
    expect(plan.note).toContain("tile r×2");
  });

  test("no log-sum-exp ⊕ declared: no products", () => {
    expect(planKernel(k, { backward: { zeroOf, traits: { ...sr.traits, plus: { kind: "other" } } } }, target)!.lse).toBeUndefined();
  });
});

/**
 * y[r] = W x[r] (x: [rows, 8], W: [16, 8]), out = Σ y ⊙ c (+ Σ x ⊙ d): the backward of x reduces
 * over the 16 outputs with consumer adjoints log|c[r, o]|, so `c` sets each row's dynamic range;
 * `d` gives x a second consumer, whose adjoints are x's old values when the contraction's arrive.
 */
function adversarial(c: number[][], w: (o: number, k: number) => number, d?: number[]) {
  const rows = c.length;
  const b = new GraphBuilder("rows");
  const x = b.add("input", [], { name: "x", shape: [rows, 8] });
  const W = b.add("param", [], { name: "W", shape: [16, 8] });
  const C = b.add("param", [], { name: "c", shape: [rows, 16] });
  let out = b.add("sum", [b.add("mul", [b.add("linear", [x, W]), C])]);
  if (d) out = b.add("add", [b.add("sum", [b.add("mul", [x, b.add("param", [], { name: "d", shape: [rows, 8] })])]), out]);
  const g = b.build(out);
  const r = rng(5);
  const feed: Record<string, Float64Array> = {
    x: Float64Array.from({ length: rows * 8 }, () => r.uniform(-1, 1)),
    W: Float64Array.from({ length: 16 * 8 }, (_, i) => w(Math.floor(i / 8), i % 8)),
    c: Float64Array.from(c.flat()),
  };
  if (d) feed["d"] = Float64Array.from(d);
  return { g, feed };
}

function expectParity(run: ReturnType<typeof runParity>, kernel: RegExp) {
  const mine = run.diffs.filter((d) => kernel.test(d.kernel));
  expect(mine.length).toBeGreaterThan(0);
  for (const d of mine) {
    expect(d.mismatch, d.kernel).toBeUndefined();
    expect(d.error, `${d.kernel} [${d.note}]`).toBeLessThan(1e-5);
  }
  return mine;
}

describe("log-sum-exp sums against the JS loops (f32 WebAssembly, f64 JS)", () => {
  const r = rng(11);
  const plain = (o: number, k: number) => (((o * 8 + k) % 7) - 3 + 0.5) * 0.3;
  const cases: [string, number[][], (o: number, k: number) => number, number[]?][] = [
    ["ordinary rows", [0, 1, 2, 3].map(() => Array.from({ length: 16 }, () => r.uniform(-2, 2))), plain],
    // One consumer adjoint e^60 above the rest: the others' scale factors e^-60 stay normal.
    ["one huge term, many tiny", [0, 1].map(() => Array.from({ length: 16 }, (_, o) => (o === 3 ? 1e26 : 1))), plain],
    // Terms e^-140 below the row's largest, where the weight of the tiny-adjoint edge is huge: the
    // scale factor underflows, the exact form keeps the term.
    ["range beyond e^80, huge weights on tiny adjoints", [[1e30, ...Array<number>(15).fill(1e-30)], [...Array<number>(15).fill(1e-31), 1e30]], (o, k) => (o === 0 || o === 15 ? 1e-30 : 1e30) * (k + 1)],
    // An old value e^-138 below the row's largest, and no new term: its scale factor underflows,
    // the exact form keeps it (the scaled sums alone would store 0̄).
    ["an old value far below the row's largest", [Array<number>(16).fill(1)], (_o, k) => (k === 1 ? 0 : 0.5), [1e30, 1e-30, 1, 1, 1, 1, 1, 1]],
  ];
  test.each(cases)("%s", (_name, c, w, d) => {
    const { g, feed } = adversarial(c, w, d);
    const run = runParity(g, logDomain, feed, "f32");
    const lse = expectParity(run, /\((entropy|logsum)\)$/).filter((d) => d.note.includes("log-sum-exp"));
    expect(lse.map((d) => d.kernel).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/\(entropy\)$/), expect.stringMatching(/\(logsum\)$/)]));
  });
});

describe("a 200-step chain of contractions", () => {
  /** x[8] → 200 × linear(W_i [8, 8]) → sum: path products reach e^±200 and beyond. */
  function chain(steps: number) {
    const b = new GraphBuilder("chain");
    let h = b.add("input", [], { name: "x", shape: [8] });
    const r = rng(99);
    const feed: Record<string, Float64Array> = { x: Float64Array.from({ length: 8 }, () => r.uniform(-1, 1)) };
    for (let i = 0; i < steps; i++) {
      h = b.add("linear", [h, b.add("param", [], { name: `w${i}`, shape: [8, 8] })]);
      feed[`w${i}`] = Float64Array.from({ length: 64 }, () => Math.exp(r.uniform(-2, 2)) * (r.uniform(0, 1) < 0.5 ? -1 : 1));
    }
    return { graph: b.build(b.add("sum", [h])), feed };
  }
  const { graph, feed } = chain(200);

  test("every kernel agrees with the JS loops", () => {
    expectParity(runParity(graph, logDomain, feed, "f32"), /\((entropy|logsum)\)$/);
  });

  test.each(["entropy", "logsum"] as const)("%s of x in f32 is within 1e-5 of float64", async (name) => {
    const sr = semirings[name];
    const params = Object.fromEntries(Object.entries(feed).filter(([k]) => k !== "x"));
    const value = async (precision: "f32" | "f64") => {
      const { mod } = await compileAndLoad(graph, [sr], ["x"], precision);
      return mod.createModel(params).run({ x: feed["x"]! }, { topPath: false }).results[name]!.wrt["x"]!.value;
    };
    const [f32, f64] = [await value("f32"), await value("f64")];
    for (let i = 0; i < 8; i++) {
      expect(Number.isFinite(f64[i]!)).toBe(true);
      expect(Math.abs(f32[i]! - f64[i]!) / Math.max(1, Math.abs(f64[i]!))).toBeLessThan(1e-5);
    }
  });
});
