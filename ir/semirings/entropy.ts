// entropy — path entropy, numerically stable form of `expectation`.
// carrier (L, e): L = log Z, e = r/Z (the p-weighted mean of log|Π w|) ·
// ⊕ = (logaddexp(L1, L2), exp(L−max)-weighted average of e1, e2) ·
// ⊗ = (L1 + L2, e1 + e2), with 0̄ absorbing · lift(w) = (log|w|, log|w|), or 0̄ = (−∞, 0) at w = 0 ·
// 1̄ = (0, 0) · readout H = L − e (0 where L = −∞).
// 0̄ always carries e = 0; every NaN source (−∞ − −∞ in the weights) is behind an isNegInf select.

import * as S from "../scalar.ts";
import type { Lanes, Semiring } from "./semiring.ts";

function plus([L1, e1]: Lanes, [L2, e2]: Lanes): S.Sx[] {
  const m = S.max(L1!, L2!);
  const a1 = S.exp(S.sub(L1!, m));
  const a2 = S.exp(S.sub(L2!, m));
  const e = S.div(S.add(S.mul(a1, e1!), S.mul(a2, e2!)), S.add(a1, a2));
  return [S.logaddexp(L1!, L2!), S.select(S.isNegInf(m), 0, e)];
}

function times([L1, e1]: Lanes, [L2, e2]: Lanes): S.Sx[] {
  const L = S.add(L1!, L2!);
  return [L, S.select(S.isNegInf(L), 0, S.add(e1!, e2!))];
}

export const entropy: Semiring = {
  name: "entropy",
  summary: "entropy of the path distribution p(path) ∝ |product of edge weights| (stable log form)",
  lanes: ["L", "e"],
  zero: [-Infinity, 0],
  one: [0, 0],
  plus,
  times,
  lift: (w) => {
    const l = S.logAbs(w);
    return [l, S.select(S.isNegInf(l), 0, l)];
  },
  readout: ([L, e]) => [S.select(S.isNegInf(L!), 0, S.sub(L!, e!))],
  reads: "H (path entropy, nats)",
  traits: { plus: { kind: "logsumexp", lane: 0 }, scale: "log", zeroAbsorbs: true, sign: { kind: "abs" }, liftedTimesOnly: false },
};
