import * as S from "../scalar.ts";
import { ShapeError, showType } from "../types.ts";
import { expectFloat, type OpRule, refs, type RuleCtx, space, X } from "./rule.ts";

// y[…, o] = Σ_k x[…, k]·w[o, k] + b[o] (PyTorch layout w: [out, in]). Edges x[…,k] → y[…,o]
// weight w[o,k]; w[o,k] → y[…,o] weight x[…,k]; b[o] → y[…,o] weight 1.

function indices(ctx: RuleCtx) {
  const x = ctx.xs[0]!, w = ctx.xs[1]!;
  const rv = space(x.shape.slice(0, -1), "r");
  const r = refs(rv);
  const o = { name: "o", extent: w.shape[0]! }, k = { name: "k", extent: w.shape[1]! };
  const [so, sk] = [S.v("o"), S.v("k")];
  return { rv, o, k, xIdx: [...r, sk], wIdx: [so, sk], yIdx: [...r, so], so };
}

export const linear: OpRule = {
  name: "linear",
  arity: { min: 2 },
  attrs: {},
  infer(xs) {
    if (xs.length > 3) throw new ShapeError(`takes (x, w) or (x, w, b), got ${xs.length} operands`);
    const [x, w, b] = xs;
    xs.forEach((t, i) => expectFloat(t, `operand ${i}`));
    const inF = x!.shape[x!.shape.length - 1];
    if (x!.shape.length === 0 || w!.shape.length !== 2 || w!.shape[1] !== inF)
      throw new ShapeError(`w must be [out, in] with in = the last axis of x: x ${showType(x!)}, w ${showType(w!)}`);
    if (b && (b.shape.length !== 1 || b.shape[0] !== w!.shape[0]))
      throw new ShapeError(`b must be [${w!.shape[0]}] for w ${showType(w!)}, got ${showType(b)}`);
    return { dtype: "f32", shape: [...x!.shape.slice(0, -1), w!.shape[0]!] };
  },
  forward(ctx) {
    const { rv, o, k, xIdx, wIdx, yIdx, so } = indices(ctx);
    const bias = ctx.xs.length === 3;
    return [{
      target: "y", vars: [...rv, o, k], index: yIdx, body: S.mul(X(0, xIdx), X(1, wIdx)),
      reduce: { op: "sum", finalize: bias ? (acc) => S.add(acc, X(2, [so])) : undefined },
    }];
  },
  edges(ctx) {
    const { rv, o, k, xIdx, wIdx, yIdx, so } = indices(ctx);
    const sets = [
      { input: 0, vars: [...rv, o, k], inIndex: xIdx, outIndex: yIdx, weight: X(1, wIdx) },
      { input: 1, vars: [...rv, o, k], inIndex: wIdx, outIndex: yIdx, weight: X(0, xIdx) },
    ];
    if (ctx.xs.length === 3) sets.push({ input: 2, vars: [...rv, o], inIndex: [so], outIndex: yIdx, weight: S.c(1) });
    return sets;
  },
};
