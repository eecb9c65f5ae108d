// sumprod — the gradient.
// carrier ℝ (lane g) · ⊕ = + · ⊗ = × · lift(w) = w · 0̄ = 0, 1̄ = 1 · readout g.

import * as S from "../scalar.ts";
import type { Semiring } from "./semiring.ts";

export const sumprod: Semiring = {
  name: "sumprod",
  summary: "sum over paths of the product of edge weights: the ordinary gradient",
  lanes: ["g"],
  zero: [0],
  one: [1],
  plus: ([a], [b]) => [S.add(a!, b!)],
  times: ([a], [b]) => [S.mul(a!, b!)],
  lift: (w) => [w],
  readout: ([g]) => [g!],
  reads: "gradient",
  traits: { plus: { kind: "sum" }, scale: "linear", zeroAbsorbs: true, sign: { kind: "signed", swap: [0] }, liftedTimesOnly: false },
};
