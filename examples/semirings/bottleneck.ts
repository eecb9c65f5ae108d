// A user-defined semiring: the bottleneck ("widest path") semiring, (max, min) on [0, ∞].
//
//   carrier [0, ∞] · ⊕ = max · ⊗ = min · lift(w) = |w| · 0̄ = 0 · 1̄ = ∞ · readout: the value
//
// adj(x) = the largest τ such that some path from x to the output has |∂| ≥ τ on EVERY edge.
// Why this helps interpretation: a large gradient path product (maxprod / maxabs) can be one huge
// local derivative compensating several tiny ones, which says little about whether information
// actually flows along that route. The bottleneck value asks for a route on which every step
// passes a strong signal: a component reachable only through weak edges (a saturated softmax, an
// almost-closed gate) scores low however large the rest of the path is. It is idempotent
// (max-style), so it costs one backward pass like any built-in semiring; comparing its ranking of
// inputs or branches with maxabs's separates "one strong route" from "strong on average".
// Caveat: edges shared by every path (the last log-softmax) cap all values alike.
//
//   semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json \
//     --semirings-from examples/semirings/bottleneck.ts --semiring bottleneck --wrt x

import { defineSemiring } from "semic/dsl";

export const bottleneck = defineSemiring({
  name: "bottleneck",
  summary: "widest path: the largest minimum |local derivative| along any path",
  reads: "max-min |w|",
  lanes: ["b"],
  zero: [0],
  one: [Infinity],
  plus: ([a], [b]) => [Math.max(a!, b!)],
  times: ([a], [b]) => [Math.min(a!, b!)],
  lift: (w) => [Math.abs(w)],
  readout: ([a]) => a!,
  idempotentPlus: true,
});
