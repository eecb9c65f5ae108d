// What the kernel compiler's parts share: the memory layout it compiles against, its options and
// results, a kernel's plan (its form, loop levels and unrolled instances), and what lowering needs
// from the compiler.

import type { Sx } from "../../../../ir/scalar.ts";
import type { Lanes, Traits } from "../../../../ir/semirings/semiring.ts";
import type { Kernel } from "../../../kernel.ts";
import type { LseMonoid, Monomial } from "./reductions.ts";

export interface WasmLayout {
  readonly precision: "f32" | "f64";
  /** Byte offset of a buffer in the memory. */
  addr(buffer: string): number;
  isInt(buffer: string): boolean;
  shapeOf(buffer: string): readonly number[];
  /** Buffers that never change after createModel (parameters, constants). */
  isConst(buffer: string): boolean;
  /** Adds a buffer (a cache of values computed from constant buffers) to the memory. */
  addBuffer(name: string, shape: readonly number[]): void;
}

export interface CompiledKernel {
  readonly note: string;
  /** The outermost loop: its extent and step. */
  readonly extent: number;
  readonly step: number;
  /** Whether [0, extent) may be split across threads. */
  readonly split: boolean;
  /** Loop iterations, roughly (for deciding whether threads pay). */
  readonly work: number;
  /** Whether it uses the scratch region (its third parameter). */
  readonly scratch: boolean;
  /**
   * The points the WebAssembly function leaves out, as a kernel for the JS loops: the vector loop
   * covers the largest multiple of the lane count, and the last (fewer than a vector's) points of
   * its variable run here, after it.
   */
  readonly tail?: Kernel;
}

/** What a backward's kernels are compiled with: their semiring's 0̄ lanes and declared algebra. */
export interface BackwardKernels {
  /** Adjoint lane buffers → that lane of the semiring's 0̄. */
  readonly zeroOf: ReadonlyMap<string, number>;
  /** What updates `acc ⊕ term` may be rewritten into (0̄ skipping, log-sum-exp sums, sign versioning). */
  readonly traits: Traits;
  /** The semiring's ⊕ on two elements' lanes, and each adjoint lane buffer's lane (for rewrites that ⊕ adjoints). */
  readonly plus?: (a: Lanes, b: Lanes) => Sx[];
  readonly laneOf?: ReadonlyMap<string, number>;
}

export interface KernelOptions {
  /** Absent for forward kernels. */
  readonly backward?: BackwardKernels;
  /** Every point must run in WebAssembly (no JS remainder): for kernels whose target only it sees. */
  readonly whole?: boolean;
}

/** Thrown where a kernel needs what the WebAssembly lowering does not do: it stays a JS loop. */
export class Unsupported extends Error {}

/** The kernels' temporaries (log-sum-exp scale factors), addressed from a kernel's third parameter. */
export const SCRATCH = "@scratch";

export interface LoopLevel {
  readonly name: string;
  readonly extent: number;
  readonly step: number;
  local: number;
}

export interface VectorPlan {
  /**
   * lse: map form accumulating log-sum-exp sums (see LseMonoid). sep: map form whose reduction is
   * separable (see Monomial): per row, sums over the reduction first, then one pass over v.
   */
  form: "map" | "reduce" | "lse" | "sep";
  lse?: LseMonoid;
  /** sep: per lane, the monomials of its term; the reduction loops, run in the pre-pass. */
  sep?: { lanes: Monomial[][]; red: LoopLevel[] };
  /** map form whose reduction over all points but one was replaced by prefix and suffix ⊕ (leaveOneOut.ts). */
  loo?: LeaveOneOut;
  v: string;
  levels: LoopLevel[];
  /** Per instance: var substitutions. */
  instances: Record<string, Sx>[];
  /** The level (1-based) holding the accumulators. */
  accLevel: number;
  /**
   * map form: the reduction loop runs outside v (one row, weights too big for the cache), so the
   * accumulators are the target read and written per point; its outermost loop may not be split.
   */
  streams?: boolean;
  /** Instance groups (map form: rows of the tile), for 0̄ skipping. */
  groupOf: number[];
  note: string;
  /** v's first point past the vector loop, when its extent is not a multiple of the lane count. */
  tail?: number;
}

/** What expression lowering asks of the compiler it belongs to. */
export interface LoweringTarget {
  readonly layout: WasmLayout;
  readonly F: "f32" | "f64";
  readonly VX: "f32x4" | "f64x2";
  readonly L: number;
  /** Byte offset of a buffer (scratch: 0, relative to the kernel's scratch base). */
  addr(ref: string): number;
  /** The function index of an imported host function, if the module imports it. */
  mathImport(name: string): number | undefined;
  /** The definition of a cache load (its expression at the load's indices). */
  unfold(x: Sx): Sx | undefined;
  /** Reserves `bytes` of scratch per thread. */
  needScratch(bytes: number): void;
}

/** The prefix and suffix ⊕ of a row's adjoints that stand in for a reduction over all points but one (leaveOneOut.ts). */
export interface LeaveOneOut {
  /** The reduced variable; only the per-row pre-pass loops over it. */
  readonly red: LoopLevel;
  /** Per semiring lane, the adjoint's load at point `red`. */
  readonly loads: readonly Sx[];
  /** Per lane, 0̄'s value. */
  readonly zero: readonly number[];
  readonly plus: (a: Lanes, b: Lanes) => Sx[];
  /** Scratch element of lane l's prefix (which 0) or suffix (which 1) at point 0. */
  readonly slot: (l: number, which: 0 | 1) => number;
}
