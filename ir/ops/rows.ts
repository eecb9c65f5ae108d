import * as S from "../scalar.ts";
import type { Sx } from "../scalar.ts";
import { ShapeError, showType, type TensorType } from "../types.ts";
import { expectFloat, refs, space, type IndexVar } from "./rule.ts";

/**
 * Index helpers for ops that work row by row over the last axis (softmax, log_softmax,
 * layer_norm): row vars r0… over the leading axes and element vars j (input) and i (output).
 */
export function rows(x: TensorType) {
  const lead = x.shape.slice(0, -1);
  const rv = space(lead, "r");
  const r = refs(rv);
  const n = x.shape[x.shape.length - 1]!;
  const j: IndexVar = { name: "j", extent: n };
  const i: IndexVar = { name: "i", extent: n };
  return { lead, rv, r, n, j, i, sj: S.v("j"), si: S.v("i") };
}

export function expectRows(x: TensorType): void {
  expectFloat(x, "operand");
  if (x.shape.length === 0) throw new ShapeError(`needs an axis to work over, got ${showType(x)}`);
}

/** Kronecker δ as a number. */
export const delta = (a: Sx, b: Sx): Sx => S.select(S.eq(a, b), 1, 0);
