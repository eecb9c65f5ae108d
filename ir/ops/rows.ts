import * as S from "../scalar.ts";
import type { Sx } from "../scalar.ts";
import { ShapeError, showType, type TensorType } from "../types.ts";
import { Aux, expectFloat, refs, space, X, Y, type IndexVar, type OpRule } from "./rule.ts";

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

/**
 * softmax and log_softmax: the same stable row statistics (rowmax m, rowsum Σ e^(x−m)), an output
 * formula of x − m and the row sum, and a dense per-row Jacobian x_j → y_i given by y_i, y_j and δij.
 */
export function rowNormalizer(spec: {
  readonly name: string;
  readonly output: (shifted: Sx, rowsum: Sx) => Sx;
  readonly weight: (yi: Sx, yj: Sx, dij: Sx) => Sx;
}): OpRule {
  return {
    name: spec.name,
    arity: 1,
    attrs: {},
    infer([x]) {
      expectRows(x!);
      return x!;
    },
    aux(ctx) {
      const lead = rows(ctx.xs[0]!).lead;
      return { rowmax: { dtype: "f32", shape: lead }, rowsum: { dtype: "f32", shape: lead } };
    },
    forward(ctx) {
      const { rv, r, j, i, sj, si } = rows(ctx.xs[0]!);
      const shifted = (k: Sx) => S.sub(X(0, [...r, k]), Aux("rowmax", r));
      return [
        { target: "aux:rowmax", vars: [...rv, j], index: r, body: X(0, [...r, sj]), reduce: { op: "max" } },
        { target: "aux:rowsum", vars: [...rv, j], index: r, body: S.exp(shifted(sj)), reduce: { op: "sum" } },
        { target: "y", vars: [...rv, i], index: [...r, si], body: spec.output(shifted(si), Aux("rowsum", r)) },
      ];
    },
    edges(ctx) {
      const { rv, r, j, i, sj, si } = rows(ctx.xs[0]!);
      return [{
        input: 0, vars: [...rv, j, i], inIndex: [...r, sj], outIndex: [...r, si],
        weight: spec.weight(Y([...r, si]), Y([...r, sj]), delta(si, sj)),
      }];
    },
  };
}
