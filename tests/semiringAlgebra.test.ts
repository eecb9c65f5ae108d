// The algebra each semiring declares (ir/semirings/semiring.ts `Traits`) against its own lane
// functions: backends rewrite kernels by these declarations (0̄ skipping, log-sum-exp sums, sign
// versioning) without evaluating anything, so a wrong declaration must fail here. Elements are
// reachable ones (⊕ of ⊗-chains of lifted weights), evaluated through Sx; weights are seeded.

import { describe, expect, it } from "vitest";
import { rng } from "../compiler/train/random.ts";
import * as S from "../ir/scalar.ts";
import { scaleBy, semirings, topk } from "../ir/semirings/index.ts";
import type { PlusLaw, Semiring, Traits } from "../ir/semirings/semiring.ts";
import { atTensorLevel } from "../ir/semirings/tensorLevel.ts";

type El = number[];

const evalAll = (xs: readonly S.Sx[]): El => xs.map((x) => S.evaluate(x, { vars: {}, load: () => NaN }));
const cs = (a: readonly number[]) => a.map((x) => S.c(x));

function numeric(sr: Semiring) {
  return {
    plus: (a: El, b: El) => evalAll(sr.plus(cs(a), cs(b))),
    times: (a: El, b: El) => evalAll(sr.times(cs(a), cs(b))),
    lift: (w: number) => evalAll(sr.lift(S.c(w))),
    /** lift(w) ⊗ g as kernels compute it (through `scale` where the semiring has one). */
    scale: (w: number, g: El) => evalAll(scaleBy(sr, S.c(w), cs(g))),
  };
}

const close = (x: number, y: number) =>
  !Number.isFinite(x) || !Number.isFinite(y) ? x === y : Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
const same = (a: El, b: El) => a.length === b.length && a.every((x, i) => close(x, b[i]!));

/** Weights with exact zeros, integers (ties) and negatives; elements as ⊕ of lifted-weight chains. */
function samples(sr: Semiring, seed: number) {
  const N = numeric(sr);
  const rand = rng(seed);
  const weight = () => {
    const r = rand();
    if (r < 0.1) return 0;
    if (r < 0.3) return Math.round(rand() * 6 - 3);
    return (rand() < 0.5 ? -1 : 1) * (0.05 + 2.95 * rand());
  };
  const element = (): El => {
    let acc = [...sr.zero];
    for (let p = Math.floor(rand() * 4); p >= 0; p--) {
      let chain = [...sr.one];
      for (let e = Math.floor(rand() * 3); e >= 0; e--) chain = N.times(N.lift(weight()), chain);
      acc = N.plus(acc, chain);
    }
    return acc;
  };
  const weights = Array.from({ length: 40 }, weight);
  return { N, weights, elements: Array.from({ length: 40 }, element) };
}

/** What each ⊕ law claims, given two elements and the result. A new law must add its check here. */
const plusChecks = {
  sum: (_sr, a, b, got) => same(got, a.map((x, l) => x + b[l]!)),
  idempotent: (sr, a, b, got) => same(numeric(sr).plus(a, a), a) && got.every((x, l) => x === a[l] || x === b[l]),
  logsumexp: (sr, a, b, got, law) => {
    const lane = (law as Extract<PlusLaw, { kind: "logsumexp" }>).lane;
    const m = Math.max(a[lane]!, b[lane]!);
    const L = m === -Infinity ? -Infinity : m + Math.log(Math.exp(a[lane]! - m) + Math.exp(b[lane]! - m));
    const want = a.map((x, l) =>
      l === lane ? L : L === -Infinity ? sr.zero[l]! : Math.exp(a[lane]! - L) * x + Math.exp(b[lane]! - L) * b[l]!);
    return same(got, want);
  },
  kbest: (_sr, a, b, got) => {
    const k = a.length / 2;
    const hi = [...a.slice(0, k), ...b.slice(0, k)].sort((x, y) => y - x).slice(0, k);
    const lo = [...a.slice(k), ...b.slice(k)].sort((x, y) => x - y).slice(0, k);
    return same(got, [...hi, ...lo]);
  },
  other: () => true,
} satisfies Record<PlusLaw["kind"], (sr: Semiring, a: El, b: El, got: El, law: PlusLaw) => boolean>;

/** lift(w) ⊗ g for w > 0 and g with finite lanes: s·g, or g + s, for one s on every lane. */
const scaleChecks = {
  linear: (g, got) => {
    const l = g.findIndex((x) => x !== 0);
    if (l < 0) return got.every((x) => x === 0);
    const s = got[l]! / g[l]!;
    return same(got, g.map((x) => s * x));
  },
  log: (g, got) => same(got, g.map((x) => x + got[0]! - g[0]!)),
  other: () => true,
} satisfies Record<Traits["scale"], (g: El, got: El) => boolean>;

/** Every way in which the semiring's functions contradict its declared traits (none, if true). */
function lawViolations(sr: Semiring, seed = 1): string[] {
  const { N, weights, elements } = samples(sr, seed);
  const t = sr.traits;
  const out = new Set<string>();
  const show = (xs: El) => `[${xs.join(", ")}]`;
  elements.forEach((a, i) => {
    const b = elements[(i * 7 + 3) % elements.length]!;
    if (!plusChecks[t.plus.kind](sr, a, b, N.plus(a, b), t.plus)) out.add(`⊕ is not ${t.plus.kind}: ${show(a)} ⊕ ${show(b)} = ${show(N.plus(a, b))}`);
  });
  for (const w of weights.filter((x) => x !== 0)) {
    const pos = Math.abs(w);
    for (const g of elements) {
      if (g.every(Number.isFinite) && !scaleChecks[t.scale](g, N.scale(pos, g)))
        out.add(`lift(${pos}) ⊗ g is not ${t.scale} in g = ${show(g)}`);
      const sign = t.sign;
      if (sign.kind === "signed") {
        const flipped = sign.swap.map((from) => -g[from]!);
        if (!same(N.scale(-pos, g), N.scale(pos, flipped)))
          out.add(`lift(−w) ⊗ g ≠ lift(w) ⊗ −g[swap ${show([...sign.swap])}] at w = ${pos}, g = ${show(g)}`);
      }
    }
    if (t.sign.kind === "abs" && !same(N.lift(-pos), N.lift(pos))) out.add(`lift(−w) ≠ lift(w) at w = ${pos}`);
  }
  if (t.zeroAbsorbs) {
    for (const w of weights) if (!same(N.scale(w, [...sr.zero]), [...sr.zero])) out.add(`lift(${w}) ⊗ 0̄ ≠ 0̄`);
    for (const a of elements) if (!same(N.plus(a, [...sr.zero]), a)) out.add(`${show(a)} ⊕ 0̄ ≠ itself`);
  }
  return [...out];
}

const declared: Semiring[] = [...Object.values(semirings), topk(1), topk(3), atTensorLevel(semirings.maxprod)];
const label = (sr: Semiring) => (sr.name === "topk" ? `topk(${sr.lanes.length / 2})` : sr.consumerLevel ? `${sr.name} at tensor level` : sr.name);

describe("declared algebra holds for every semiring", () => {
  it.each(declared.map((sr) => [label(sr), sr] as const))("%s", (_name, sr) => {
    for (const seed of [1, 2, 3]) expect(lawViolations(sr, seed)).toEqual([]);
  });

  it("declares the laws the backends rely on", () => {
    const kinds = Object.fromEntries(Object.entries(semirings).map(([n, sr]) => [n, [sr.traits.plus.kind, sr.traits.scale, sr.traits.sign.kind]]));
    expect(kinds).toEqual({
      sumprod: ["sum", "linear", "signed"],
      maxprod: ["idempotent", "linear", "signed"],
      entropy: ["logsumexp", "log", "abs"],
      expectation: ["sum", "other", "abs"],
      count: ["sum", "linear", "abs"],
      logsum: ["logsumexp", "log", "abs"],
      maxabs: ["idempotent", "log", "abs"],
    });
    expect(topk(2).traits.plus.kind).toBe("kbest");
    for (const sr of declared) expect(sr.traits.zeroAbsorbs, label(sr)).toBe(true);
  });
});

describe("a wrong declaration is caught", () => {
  it("at compile time, a trait left out", () => {
    // @ts-expect-error: zeroAbsorbs is missing (tsc --noEmit checks this line)
    const partial: Traits = { plus: { kind: "sum" }, scale: "linear", sign: { kind: "abs" }, liftedTimesOnly: false };
    expect(partial.plus.kind).toBe("sum");
  });

  const lie = (sr: Semiring, traits: Partial<Traits>): Semiring => ({ ...sr, traits: { ...sr.traits, ...traits } });
  it.each([
    ["sumprod claiming lift reads |w|", lie(semirings.sumprod, { sign: { kind: "abs" } })],
    ["maxprod claiming a negative weight keeps hi and lo", lie(semirings.maxprod, { sign: { kind: "signed", swap: [0, 1] } })],
    ["count claiming a signed lift", lie(semirings.count, { sign: { kind: "signed", swap: [0] } })],
    ["entropy claiming a linear ⊗", lie(semirings.entropy, { scale: "linear" })],
    ["expectation claiming a log-domain ⊗", lie(semirings.expectation, { scale: "log" })],
    ["expectation claiming a log-sum-exp ⊕", lie(semirings.expectation, { plus: { kind: "logsumexp", lane: 0 } })],
    ["entropy claiming log-sum-exp on its e lane", lie(semirings.entropy, { plus: { kind: "logsumexp", lane: 1 } })],
    ["topk claiming an idempotent ⊕", lie(topk(2), { plus: { kind: "idempotent" } })],
    ["logsum claiming a sum", lie(semirings.logsum, { plus: { kind: "sum" } })],
    ["maxabs claiming log-sum-exp", lie(semirings.maxabs, { plus: { kind: "logsumexp", lane: 0 } })],
  ] as const)("%s", (_what, sr) => {
    expect(lawViolations(sr).length).toBeGreaterThan(0);
  });

  it("a 0̄ that does not absorb", () => {
    // sumprod's ⊕ and ⊗ with 0̄ = 1: lift(w) ⊗ 1 = w.
    const wrongZero: Semiring = { ...semirings.sumprod, zero: [1] };
    expect(lawViolations(wrongZero)).toContainEqual(expect.stringMatching(/⊗ 0̄ ≠ 0̄/));
  });
});
