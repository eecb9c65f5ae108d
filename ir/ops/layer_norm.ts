import * as S from "../scalar.ts";
import { ShapeError, showType } from "../types.ts";
import { attrNum, Aux, type OpRule, X } from "./rule.ts";
import { delta, expectRows, rows } from "./rows.ts";

// y_i = x̂_i·γ_i + β_i over the last axis, x̂ = (x − μ)·rstd, rstd = 1/√(var + eps) (biased var).
// Dense per-row edges: x_j → y_i weight γ_i·rstd·(δij − 1/n − x̂_i·x̂_j/n); γ_i → y_i weight x̂_i; β_i → y_i weight 1.
export const layer_norm: OpRule = {
  name: "layer_norm",
  arity: 3,
  attrs: { eps: "float" },
  infer([x, gamma, beta], attrs) {
    expectRows(x!);
    attrNum(attrs, "eps");
    const n = x!.shape[x!.shape.length - 1]!;
    for (const [what, t] of [["gamma", gamma!], ["beta", beta!]] as const)
      if (t.dtype !== "f32" || t.shape.length !== 1 || t.shape[0] !== n)
        throw new ShapeError(`${what} must be f32[${n}] to match the last axis of ${showType(x!)}, got ${showType(t)}`);
    return x!;
  },
  aux(ctx) {
    const lead = rows(ctx.xs[0]!).lead;
    return { mean: { dtype: "f32", shape: lead }, rstd: { dtype: "f32", shape: lead } };
  },
  forward(ctx) {
    const { rv, r, n, j, i, sj, si } = rows(ctx.xs[0]!);
    const eps = attrNum(ctx.attrs, "eps");
    const d = (k: S.Sx) => S.sub(X(0, [...r, k]), Aux("mean", r));
    return [
      { target: "aux:mean", vars: [...rv, j], index: r, body: X(0, [...r, sj]),
        reduce: { op: "sum", finalize: (acc) => S.mul(acc, 1 / n) } },
      { target: "aux:rstd", vars: [...rv, j], index: r, body: S.mul(d(sj), d(sj)),
        reduce: { op: "sum", finalize: (acc) => S.rsqrt(S.add(S.mul(acc, 1 / n), eps)) } },
      { target: "y", vars: [...rv, i], index: [...r, si],
        body: S.add(S.mul(S.mul(d(si), Aux("rstd", r)), X(1, [si])), X(2, [si])) },
    ];
  },
  edges(ctx) {
    const { rv, r, n, j, i, sj, si } = rows(ctx.xs[0]!);
    const rstd = Aux("rstd", r);
    const xhat = (k: S.Sx) => S.mul(S.sub(X(0, [...r, k]), Aux("mean", r)), rstd);
    const dense = S.sub(S.sub(delta(si, sj), 1 / n), S.mul(S.mul(xhat(si), xhat(sj)), 1 / n));
    return [
      { input: 0, vars: [...rv, j, i], inIndex: [...r, sj], outIndex: [...r, si], weight: S.mul(S.mul(X(1, [si]), rstd), dense) },
      { input: 1, vars: [...rv, i], inIndex: [si], outIndex: [...r, si], weight: xhat(si) },
      { input: 2, vars: [...rv, i], inIndex: [si], outIndex: [...r, si], weight: S.c(1) },
    ];
  },
};
