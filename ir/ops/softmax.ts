import * as S from "../scalar.ts";
import { Aux, type OpRule, X, Y } from "./rule.ts";
import { delta, expectRows, rows } from "./rows.ts";

// y_i = e^(x_i − m) / Σ_j e^(x_j − m) over the last axis (m = row max, for stability);
// dense per-row Jacobian: x_j → y_i with weight y_i(δij − y_j).
export const softmax: OpRule = {
  name: "softmax",
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
    const shifted = (k: S.Sx) => S.exp(S.sub(X(0, [...r, k]), Aux("rowmax", r)));
    return [
      { target: "aux:rowmax", vars: [...rv, j], index: r, body: X(0, [...r, sj]), reduce: { op: "max" } },
      { target: "aux:rowsum", vars: [...rv, j], index: r, body: shifted(sj), reduce: { op: "sum" } },
      { target: "y", vars: [...rv, i], index: [...r, si], body: S.div(shifted(si), Aux("rowsum", r)) },
    ];
  },
  edges(ctx) {
    const { rv, r, j, i, sj, si } = rows(ctx.xs[0]!);
    const yi = Y([...r, si]), yj = Y([...r, sj]);
    return [{
      input: 0, vars: [...rv, j, i], inIndex: [...r, sj], outIndex: [...r, si],
      weight: S.mul(yi, S.sub(delta(si, sj), yj)),
    }];
  },
};
