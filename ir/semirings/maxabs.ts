// maxabs — the largest |path product|, in the log domain.
// carrier ℝ ∪ {−∞} (lane m = log|Π w|) · ⊕ = max · ⊗ = + · lift(w) = log|w| (log 0 = −∞) ·
// 0̄ = −∞, 1̄ = 0 · readout m. Lanes are never +∞, so −∞ is absorbing for + without a guard.

import * as S from "../scalar.ts";
import type { Semiring } from "./semiring.ts";

export const maxabs: Semiring = {
  name: "maxabs",
  summary: "log of the largest |product of edge weights| over paths (top path by magnitude)",
  lanes: ["m"],
  zero: [-Infinity],
  one: [0],
  plus: ([a], [b]) => [S.max(a!, b!)],
  times: ([a], [b]) => [S.add(a!, b!)],
  lift: (w) => [S.logAbs(w)],
  readout: ([m]) => [m!],
  reads: "log max|Π w|",
  traits: {
    plus: { kind: "idempotent" },
    scale: "log",
    zeroAbsorbs: true,
    sign: { kind: "abs" },
    liftedTimesOnly: false,
    path: {
      lanes: [{ sense: "max", rank: 1 }],
      sources: () => [0],
      extend: (w, v) => S.add(S.logAbs(w), v),
    },
  },
};
