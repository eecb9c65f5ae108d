import * as S from "../scalar.ts";
import { Aux, type OpRule, X, Y } from "./rule.ts";
import { delta, expectRows, rows } from "./rows.ts";

// y_i = x_i − m − log Σ_j e^(x_j − m) over the last axis (m = row max, for stability);
// dense per-row Jacobian: x_j → y_i with weight δij − e^(y_j).
export const log_softmax: OpRule = {
  name: "log_softmax",
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
    const shifted = (k: S.Sx) => S.sub(X(0, [...r, k]), Aux("rowmax", r));
    return [
      { target: "aux:rowmax", vars: [...rv, j], index: r, body: X(0, [...r, sj]), reduce: { op: "max" } },
      { target: "aux:rowsum", vars: [...rv, j], index: r, body: S.exp(shifted(sj)), reduce: { op: "sum" } },
      { target: "y", vars: [...rv, i], index: [...r, si], body: S.sub(shifted(si), S.log(Aux("rowsum", r))) },
    ];
  },
  edges(ctx) {
    const { rv, r, j, i, sj, si } = rows(ctx.xs[0]!);
    return [{
      input: 0, vars: [...rv, j, i], inIndex: [...r, sj], outIndex: [...r, si],
      weight: S.sub(delta(si, sj), S.exp(Y([...r, sj]))),
    }];
  },
};
