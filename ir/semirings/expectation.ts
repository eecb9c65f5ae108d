// expectation — path entropy in Eisner's raw expectation semiring, as in the paper.
// carrier (Z, r): Z = Σ p̃, r = Σ p̃ log p̃ over paths, p̃ = |Π w| · ⊕ = componentwise + ·
// ⊗ = (Z1 Z2, Z1 r2 + Z2 r1), with 0̄ absorbing · lift(w) = (|w|, |w| log|w|), 0·log 0 = 0 ·
// 0̄ = (0, 0), 1̄ = (1, 0) · readout H = log Z − r/Z (0 where Z = 0).
// Z over/underflows in long products; `entropy` is the stable form.

import * as S from "../scalar.ts";
import type { Lanes, Semiring } from "./semiring.ts";

function times([Z1, r1]: Lanes, [Z2, r2]: Lanes): S.Sx[] {
  const zero = S.or(S.eq(Z1!, 0), S.eq(Z2!, 0));
  return [
    S.select(zero, 0, S.mul(Z1!, Z2!)),
    S.select(zero, 0, S.add(S.mul(Z1!, r2!), S.mul(Z2!, r1!))),
  ];
}

export const expectation: Semiring = {
  name: "expectation",
  summary: "entropy of the path distribution p(path) ∝ |product of edge weights| (raw expectation semiring)",
  lanes: ["Z", "r"],
  zero: [0, 0],
  one: [1, 0],
  plus: ([Z1, r1], [Z2, r2]) => [S.add(Z1!, Z2!), S.add(r1!, r2!)],
  times,
  lift: (w) => {
    const a = S.abs(w);
    return [a, S.select(S.eq(a, 0), 0, S.mul(a, S.log(a)))];
  },
  readout: ([Z, r]) => [S.select(S.eq(Z!, 0), 0, S.sub(S.log(Z!), S.div(r!, Z!)))],
  reads: "H (path entropy, nats)",
  // lift(w) ⊗ (Z, r) = (|w|Z, |w|r + |w|log|w|·Z): neither a scaling nor a shift.
  traits: { plus: { kind: "sum" }, scale: "other", zeroAbsorbs: true, sign: { kind: "abs" }, liftedTimesOnly: false },
};
