// topk(k) — the k best and k worst path products.
// carrier hi1 ≥ … ≥ hik (the k largest path products, padded with −∞) and lo1 ≤ … ≤ lok (the k
// smallest, padded with +∞), as a multiset: ties count once per path ·
// ⊕ = merge two sorted lists, keep k · ⊗ = only as the action of a lifted weight w (the left
// operand's hi1): w ≥ 0 → (w·hi, w·lo), w < 0 → (w·lo, w·hi); padding stays padding ·
// lift(w) = (w, −∞…, w, +∞…) · 0̄ = all padding, 1̄ = lift(1) · readout hi1..hik.

import * as S from "../scalar.ts";
import type { Lanes, Semiring } from "./semiring.ts";

/** 1 where x is ±∞ (padding). */
const isInf = (x: S.Sx) => S.isNegInf(S.neg(S.abs(x)));

/**
 * r-th best of the union of two sorted lists (1-based, best first, `better` = max or min):
 * better over i + j = r of worse(a_i, b_j), where a_0 = b_0 = the best possible value.
 */
function merge(a: readonly S.Sx[], b: readonly S.Sx[], better: typeof S.max, worse: typeof S.min): S.Sx[] {
  return a.map((_, idx) => {
    const r = idx + 1;
    let best = better(a[r - 1]!, b[r - 1]!);
    for (let i = 1; i < r; i++) best = better(best, worse(a[i - 1]!, b[r - i - 1]!));
    return best;
  });
}

export function topk(k: number): Semiring {
  if (!Number.isInteger(k) || k < 1) throw new Error(`topk: k must be a positive integer, got ${k}`);
  const hiNames = Array.from({ length: k }, (_, i) => `hi${i + 1}`);
  const loNames = Array.from({ length: k }, (_, i) => `lo${i + 1}`);
  const hiLanes = hiNames.map((_, i) => i);
  const loLanes = loNames.map((_, i) => k + i);
  const pad = (first: number, fill: number) => [first, ...Array<number>(k - 1).fill(fill)];

  const scale = (w: S.Sx, g: Lanes): S.Sx[] => {
    const pos = S.ge(w, 0);
    const hi = g.slice(0, k), lo = g.slice(k);
    const act = (src: S.Sx, padding: S.Sx) => S.select(isInf(src), padding, S.mul(w, src));
    return [
      ...hi.map((h, i) => act(S.select(pos, h, lo[i]!), S.NEG_INF)),
      ...lo.map((l, i) => act(S.select(pos, l, hi[i]!), S.POS_INF)),
    ];
  };

  return {
    name: "topk",
    summary: `the ${k} largest (hi) and ${k} smallest (lo) signed path products: the k best gradient paths`,
    lanes: [...hiNames, ...loNames],
    zero: [...Array<number>(k).fill(-Infinity), ...Array<number>(k).fill(Infinity)],
    one: [...pad(1, -Infinity), ...pad(1, Infinity)],
    plus: (a, b) => [
      ...merge(a.slice(0, k), b.slice(0, k), S.max, S.min),
      ...merge(a.slice(k), b.slice(k), S.min, S.max),
    ],
    times: (a, g) => scale(a[0]!, g),
    lift: (w) => [w, ...Array<S.Sx>(k - 1).fill(S.NEG_INF), w, ...Array<S.Sx>(k - 1).fill(S.POS_INF)],
    scale,
    readout: (a) => a.slice(0, k),
    reads: "k best path products",
    traits: {
      plus: { kind: "kbest" },
      scale: "linear",
      zeroAbsorbs: true,
      // A negative weight swaps the hi list and the lo list.
      sign: { kind: "signed", swap: [...loLanes, ...hiLanes] },
      liftedTimesOnly: true,
      path: {
        lanes: [
          ...hiNames.map((_, i) => ({ sense: "max" as const, rank: i + 1 })),
          ...loNames.map((_, i) => ({ sense: "min" as const, rank: i + 1 })),
        ],
        sources: (lane, nonNeg) => ((lane < k) === nonNeg ? hiLanes : loLanes),
        extend: (w, v) => S.mul(w, v),
      },
    },
  };
}
