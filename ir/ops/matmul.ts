import * as S from "../scalar.ts";
import { ShapeError, showShape, type Shape } from "../types.ts";
import { broadcastIndex, broadcastShapes, expectFloat, refs, type OpRule, type RuleCtx, X, space } from "./rule.ts";

// y = a·b, batched over leading dims (broadcast); 1-D operands as numpy (a vector is promoted, then
// its unit axis dropped). Edge a[…,i,j] → y[…,i,k] has weight b[…,j,k]; b[…,j,k] → y[…,i,k] has a[…,i,j].

interface Plan {
  batch: number[];
  m: number; n: number; k: number;
  aVec: boolean; bVec: boolean;
}

function plan(as: Shape, bs: Shape): Plan {
  if (as.length === 0 || bs.length === 0) throw new ShapeError("matmul operands must have rank ≥ 1");
  const aVec = as.length === 1, bVec = bs.length === 1;
  const a2 = aVec ? [1, as[0]!] : as, b2 = bVec ? [bs[0]!, 1] : bs;
  const ka = a2[a2.length - 1]!, kb = b2[b2.length - 2]!;
  if (ka !== kb) throw new ShapeError(`contracted dims differ: ${showShape(as)} · ${showShape(bs)} (${ka} vs ${kb})`);
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  return { batch, m: a2[a2.length - 2]!, n: b2[b2.length - 1]!, k: ka, aVec, bVec };
}

function outShape(p: Plan): number[] {
  return [...p.batch, ...(p.aVec ? [] : [p.m]), ...(p.bVec ? [] : [p.n])];
}

/** Vars b…, i, k (output) and j (contracted); the elements of a, b and y each point links. */
function indices(ctx: RuleCtx) {
  const [as, bs] = [ctx.xs[0]!.shape, ctx.xs[1]!.shape];
  const p = plan(as, bs);
  const bvars = space(p.batch, "b");
  const vars = [...bvars, { name: "i", extent: p.m }, { name: "k", extent: p.n }, { name: "j", extent: p.k }];
  const [bi, i, k, j] = [refs(bvars), S.v("i"), S.v("k"), S.v("j")];
  const aBatch = broadcastIndex(as.slice(0, -2), bi), bBatch = broadcastIndex(bs.slice(0, -2), bi);
  const aIdx = p.aVec ? [j] : [...aBatch, i, j];
  const bIdx = p.bVec ? [j] : [...bBatch, j, k];
  const yIdx = [...bi, ...(p.aVec ? [] : [i]), ...(p.bVec ? [] : [k])];
  return { vars, aIdx, bIdx, yIdx };
}

export const matmul: OpRule = {
  name: "matmul",
  arity: 2,
  attrs: {},
  infer([a, b]) {
    expectFloat(a!, "left operand");
    expectFloat(b!, "right operand");
    return { dtype: "f32", shape: outShape(plan(a!.shape, b!.shape)) };
  },
  forward(ctx) {
    const { vars, aIdx, bIdx, yIdx } = indices(ctx);
    return [{ target: "y", vars, index: yIdx, body: S.mul(X(0, aIdx), X(1, bIdx)), reduce: { op: "sum" } }];
  },
  edges(ctx) {
    const { vars, aIdx, bIdx, yIdx } = indices(ctx);
    return [
      { input: 0, vars, inIndex: aIdx, outIndex: yIdx, weight: X(1, bIdx) },
      { input: 1, vars, inIndex: bIdx, outIndex: yIdx, weight: X(0, aIdx) },
    ];
  },
};
