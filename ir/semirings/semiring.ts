// The semiring contract. Elements are fixed-length tuples of lanes; every function returns Sx,
// so backends inline ⊕, ⊗ and lift into generated loops. A semiring is data: no backend or pass
// asks for one by name.

import type { Sx } from "../scalar.ts";

export type Lanes = readonly Sx[];

/**
 * Selecting semirings (⊕ picks one operand per lane) describe how a lane's value is made of
 * path values, so top paths can be recovered by following, from a node, the out-edge and child
 * lane that produced each lane's value.
 */
export interface PathSpec {
  /** Per lane: whether larger ("max") or smaller ("min") path values win, and the lane's rank (1 = best). */
  readonly lanes: readonly { readonly sense: "max" | "min"; readonly rank: number }[];
  /** The child lanes whose values, extended by an edge weight of this sign, compete for `lane`. */
  sources(lane: number, nonNegativeWeight: boolean): readonly number[];
  /** The value of a path that starts with an edge of weight `w` and continues with value `v`. */
  extend(w: Sx, v: Sx): Sx;
}

/**
 * A tensor-level reading of a semiring (the paper library's max-product): inside one consumer op
 * each lane of the upstream adjoint is pushed through the op's sum-product rule on its own, giving
 * per-lane sums; `fromSums` turns them into the consumer's value; between the consumers of a tensor
 * a later candidate replaces the current value only where `replaces` says so (strictly better).
 */
export interface TensorLevel {
  readonly fromSums: (sums: Lanes) => Sx[];
  /** Per lane: non-zero where `candidate` replaces `current`. */
  readonly replaces: (candidate: Lanes, current: Lanes) => Sx[];
}

/**
 * Carried by a semiring built for tensor-level scheduling (ir/semirings/tensorLevel.ts): its lanes
 * are `width` value lanes, then per value lane the id of the consumer node that produced it, then per
 * value lane the running sum inside the consumer being processed.
 */
export interface ConsumerLevel extends TensorLevel {
  readonly width: number;
}

/**
 * How ⊕ combines two elements, lane by lane: what a backend may do instead of applying ⊕ once per
 * term (keep running max/min, add partial sums, accumulate Σ e^(t − M)).
 */
export type PlusLaw =
  /** Every lane a + b. */
  | { readonly kind: "sum" }
  /** a ⊕ a = a: every lane is the max or the min of the operands' lanes (⊕ selects). */
  | { readonly kind: "idempotent" }
  /** Lane `lane` is log(e^a + e^b); every other lane is the e^(lane)-weighted mean of the operands'. */
  | { readonly kind: "logsumexp"; readonly lane: number }
  /** Sorted lists merged, the k best kept (not idempotent: ties count once per path). */
  | { readonly kind: "kbest" }
  /** Nothing a backend can use. */
  | { readonly kind: "other" };

/**
 * lift(w) ⊗ g for w > 0 (SignLaw covers w < 0): "linear" = s·g for one scalar s(w) on every lane;
 * "log" = g + s on every lane (log-domain carriers, s = log|w|); "other": neither.
 */
export type ScaleLaw = "linear" | "log" | "other";

/**
 * How lift treats the weight's sign. "signed": lift(−w) ⊗ g = lift(w) ⊗ −g[swap] (a negative weight
 * negates, and exchanges the lanes `swap` pairs: maxprod's hi and lo); "abs": lift(−w) = lift(w)
 * (lift reads |w|, or not w at all); "other": neither.
 */
export type SignLaw = { readonly kind: "signed"; readonly swap: readonly number[] } | { readonly kind: "abs" } | { readonly kind: "other" };

/**
 * The algebra a semiring declares as data, for backends to read instead of rediscovering it.
 * Every field is required, so a semiring that leaves one out does not type-check; tests check each
 * declaration against the semiring's functions (tests/semiringAlgebra.test.ts).
 */
export interface Traits {
  readonly plus: PlusLaw;
  readonly scale: ScaleLaw;
  /** lift(w) ⊗ 0̄ = 0̄ for every finite w, and a ⊕ 0̄ = a: a term with a 0̄ adjoint may be skipped. */
  readonly zeroAbsorbs: boolean;
  readonly sign: SignLaw;
  /** ⊗ is only defined with a lifted weight on the left (topk's carrier is a semimodule). */
  readonly liftedTimesOnly: boolean;
  /** Present on selecting semirings: how to recover top paths. */
  readonly path?: PathSpec;
}

/** The traits of a semiring that declares nothing a backend can use (user semirings, say). */
export const opaqueTraits = (idempotent: boolean): Traits => ({
  plus: { kind: idempotent ? "idempotent" : "other" },
  scale: "other",
  zeroAbsorbs: false,
  sign: { kind: "other" },
  liftedTimesOnly: false,
});

export interface Semiring {
  readonly name: string;
  /** One line for --help and the README. */
  readonly summary: string;
  readonly lanes: readonly string[];
  readonly zero: readonly number[];
  readonly one: readonly number[];
  plus(a: Lanes, b: Lanes): Sx[];
  times(a: Lanes, b: Lanes): Sx[];
  lift(w: Sx): Sx[];
  /** lift(w) ⊗ g, when a cheaper form than the general ⊗ exists. */
  scale?(w: Sx, g: Lanes): Sx[];
  /** What the user reads per element (one value, or k values for topk). */
  readout(a: Lanes): Sx[];
  /** Name of the readout ("gradient", "H", …), for reports. */
  readonly reads: string;
  /** How the semiring reads at tensor level, when it has such a reading. */
  readonly tensorLevel?: TensorLevel;
  /** Present when the backward is scheduled per consumer (see ConsumerLevel). */
  readonly consumerLevel?: ConsumerLevel;
  readonly traits: Traits;
}

/** lift(w) ⊗ g through the semiring's cheapest form. */
export const scaleBy = (sr: Semiring, w: Sx, g: Lanes): Sx[] => (sr.scale ? sr.scale(w, g) : sr.times(sr.lift(w), g));
