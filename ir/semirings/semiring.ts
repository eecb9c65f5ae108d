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
