// A semiring's tensor-level form (the paper library's semantics): the value lanes of the base
// semiring, then per value lane a pointer (the id of the consumer node that produced it, −1 for
// none), then per value lane the running sum inside the consumer being processed (0 between
// consumers). The scheduler reads `consumerLevel`; ⊕ here is the between-consumer merge (used to
// aggregate readouts: the pointer follows the winning element, which is the paper's oplus view).

import * as S from "../scalar.ts";
import type { Lanes, Semiring } from "./semiring.ts";

export function atTensorLevel(base: Semiring): Semiring {
  const level = base.tensorLevel;
  if (!level) throw new Error(`semiring ${base.name} has no tensor-level reading`);
  const w = base.lanes.length;
  const split = (a: Lanes) => ({ value: a.slice(0, w), from: a.slice(w, 2 * w), sums: a.slice(2 * w) });
  const none = base.lanes.map(() => -1);
  const zeros = base.lanes.map(() => 0);
  return {
    name: base.name,
    summary: `tensor-level ${base.name}: each consumer op pushes every lane through its sum-product rule, the best consumer wins; lanes ${base.lanes.map((l) => `${l}From`).join(", ")} name it (a node id)`,
    lanes: [...base.lanes, ...base.lanes.map((l) => `${l}From`), ...base.lanes.map((l) => `${l}Sum`)],
    zero: [...base.zero, ...none, ...zeros],
    one: [...base.one, ...none, ...zeros],
    plus(a, b) {
      const [x, y] = [split(a), split(b)];
      const r = level.replaces(y.value, x.value);
      return [
        ...x.value.map((v, l) => S.select(r[l]!, y.value[l]!, v)),
        ...x.from.map((v, l) => S.select(r[l]!, y.from[l]!, v)),
        ...x.sums.map((v, l) => S.add(v, y.sums[l]!)),
      ];
    },
    // Not used by tensor-level scheduling (values are not path products); kept total on the value lanes.
    times: (a, b) => [...base.times(a.slice(0, w), b.slice(0, w)), ...a.slice(w)],
    lift: (x) => [...base.lift(x), ...none.map((v) => S.c(v)), ...zeros.map((v) => S.c(v))],
    readout: (a) => base.readout(a.slice(0, w)),
    reads: `${base.lanes[0]} at tensor level (a best per-consumer sum, not a path product)`,
    consumerLevel: { width: w, fromSums: level.fromSums, replaces: level.replaces },
    // ⊕ keeps the strictly better consumer (not a lane-wise law a backend could use); 0̄ still absorbs:
    // lift(w) ⊗ 0̄ keeps the base 0̄ and 0̄'s pointers and sums, and 0̄ never replaces.
    traits: { plus: { kind: "other" }, scale: "other", zeroAbsorbs: true, sign: { kind: "other" }, liftedTimesOnly: false },
  };
}
