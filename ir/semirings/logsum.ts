// logsum — log Σ_paths Π|w|, stable in deep graphs.
// carrier log-domain ℝ ∪ {−∞} (lane l) · ⊕ = logaddexp · ⊗ = + · lift(w) = log|w| (log 0 = −∞) ·
// 0̄ = −∞, 1̄ = 0 · readout l. Lanes are never +∞, so −∞ + x = −∞ is absorbing without a guard.

import * as S from "../scalar.ts";
import type { Semiring } from "./semiring.ts";

export const logsum: Semiring = {
  name: "logsum",
  summary: "log of the sum over paths of |product of edge weights|",
  lanes: ["l"],
  zero: [-Infinity],
  one: [0],
  plus: ([a], [b]) => [S.logaddexp(a!, b!)],
  times: ([a], [b]) => [S.add(a!, b!)],
  lift: (w) => [S.logAbs(w)],
  readout: ([l]) => [l!],
  reads: "log Σ|Π w|",
  traits: { plus: { kind: "logsumexp", lane: 0 }, scale: "log", zeroAbsorbs: true, sign: { kind: "abs" }, liftedTimesOnly: false },
};
