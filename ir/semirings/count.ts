// count — the number of paths.
// carrier ℕ as float (lane n) · ⊕ = + · ⊗ = × · lift(w) = 1 (every edge counts, even w = 0) ·
// 0̄ = 0, 1̄ = 1 · readout n.

import * as S from "../scalar.ts";
import type { Semiring } from "./semiring.ts";

export const count: Semiring = {
  name: "count",
  summary: "number of paths from each node to the output",
  lanes: ["n"],
  zero: [0],
  one: [1],
  plus: ([a], [b]) => [S.add(a!, b!)],
  times: ([a], [b]) => [S.mul(a!, b!)],
  lift: () => [S.c(1)],
  readout: ([n]) => [n!],
  reads: "number of paths",
  // lift ignores w, so it ignores w's sign too.
  traits: { plus: { kind: "sum" }, scale: "linear", zeroAbsorbs: true, sign: { kind: "abs" }, liftedTimesOnly: false },
};
