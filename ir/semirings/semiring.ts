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
  readonly traits: {
    /** a ⊕ a = a: max-style reductions. */
    readonly idempotentPlus?: boolean;
    /** ⊗ is only defined with a lifted weight on the left (topk's carrier is a semimodule). */
    readonly liftedTimesOnly?: boolean;
    readonly path?: PathSpec;
  };
}

/** lift(w) ⊗ g through the semiring's cheapest form. */
export const scaleBy = (sr: Semiring, w: Sx, g: Lanes): Sx[] => (sr.scale ? sr.scale(w, g) : sr.times(sr.lift(w), g));
