// Kernels: what backends render. A kernel loops over an index space and updates one element of
// its target buffers (one per semiring lane) per point. Everything inside is Sx over named buffers;
// a kernel knows no op and no semiring.

import type { IndexVar } from "../ir/ops/rule.ts";
import type { Sx } from "../ir/scalar.ts";
import type { DType } from "../ir/types.ts";

export interface BufferInfo {
  readonly name: string;
  /** The graph node it belongs to. */
  readonly node: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** value: a forward tensor; aux: saved by an op; adjoint: one semiring lane of an adjoint. */
  readonly kind: "value" | "aux" | "adjoint";
}

export interface Kernel {
  readonly name: string;
  /** One line saying what the kernel computes, for the generated source. */
  readonly comment: string;
  readonly vars: readonly IndexVar[];
  /** Points where guard is 0 are skipped. */
  readonly guard?: Sx;
  /** Target buffers, one per lane; all have the same shape. */
  readonly targets: readonly string[];
  readonly index: readonly Sx[];
  /**
   * New lane values. They may read the current ones as vars `acc0`, `acc1`…; a kernel whose
   * update reads them accumulates (several points may update one element), else it assigns.
   */
  readonly update: readonly Sx[];
}

export type Step =
  | { readonly k: "fill"; readonly buffer: string; readonly value: number }
  | { readonly k: "kernel"; readonly kernel: Kernel };

export const accVar = (lane: number): string => `acc${lane}`;
