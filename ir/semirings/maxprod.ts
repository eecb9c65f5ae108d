// maxprod — the top gradient path (signed max-product).
// carrier (hi, lo) ∈ ℝ²: the largest and smallest path product · ⊕ = (max hi, min lo) ·
// ⊗ = interval product (hi = max of the four products, lo = min) · lift(w) = (w, w) ·
// 0̄ = (−∞, +∞), 1̄ = (1, 1) · readout hi.
// Only 0̄ has infinite lanes, and ⊗ checks for it (hi = −∞) before multiplying, so 0̄ stays
// absorbing and (−∞)·0 never appears.

import * as S from "../scalar.ts";
import type { Lanes, Semiring } from "./semiring.ts";

const ZERO = [S.NEG_INF, S.POS_INF];

function times([ahi, alo]: Lanes, [bhi, blo]: Lanes): S.Sx[] {
  const p = [S.mul(ahi!, bhi!), S.mul(ahi!, blo!), S.mul(alo!, bhi!), S.mul(alo!, blo!)];
  const zero = S.or(S.isNegInf(ahi!), S.isNegInf(bhi!));
  const hi = p.reduce((m, x) => S.max(m, x));
  const lo = p.reduce((m, x) => S.min(m, x));
  return [S.select(zero, ZERO[0]!, hi), S.select(zero, ZERO[1]!, lo)];
}

/** lift(w) ⊗ g: a non-negative weight keeps the order of (hi, lo), a negative one swaps it. */
function scale(w: S.Sx, [hi, lo]: Lanes): S.Sx[] {
  const pos = S.ge(w, 0);
  const zero = S.isNegInf(hi!);
  return [
    S.select(zero, ZERO[0]!, S.mul(w, S.select(pos, hi!, lo!))),
    S.select(zero, ZERO[1]!, S.mul(w, S.select(pos, lo!, hi!))),
  ];
}

export const maxprod: Semiring = {
  name: "maxprod",
  summary: "largest (hi) and smallest (lo) signed product of edge weights over paths: the top gradient path",
  lanes: ["hi", "lo"],
  zero: [-Infinity, Infinity],
  one: [1, 1],
  plus: ([ahi, alo], [bhi, blo]) => [S.max(ahi!, bhi!), S.min(alo!, blo!)],
  times,
  lift: (w) => [w, w],
  scale,
  readout: ([hi]) => [hi!],
  reads: "top path product (hi)",
  // The paper library: per consumer A = rule(hi), B = rule(lo), then (max, min) of the two; between
  // consumers a strictly larger hi (smaller lo) replaces, so ties keep the consumer processed first.
  tensorLevel: {
    fromSums: ([a, b]) => [S.max(a!, b!), S.min(a!, b!)],
    replaces: ([chi, clo], [hi, lo]) => [S.gt(chi!, hi!), S.lt(clo!, lo!)],
  },
  traits: {
    plus: { kind: "idempotent" },
    scale: "linear",
    zeroAbsorbs: true,
    // A negative weight swaps hi and lo.
    sign: { kind: "signed", swap: [1, 0] },
    liftedTimesOnly: false,
    path: {
      lanes: [{ sense: "max", rank: 1 }, { sense: "min", rank: 1 }],
      // hi (0) comes from the child's hi through w ≥ 0, from its lo through w < 0; lo (1) vice versa.
      sources: (lane, nonNeg) => [(lane === 0) === nonNeg ? 0 : 1],
      extend: (w, v) => S.mul(w, v),
    },
  },
};
