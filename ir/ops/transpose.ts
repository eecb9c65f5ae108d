import { ShapeError } from "../types.ts";
import { movement, refs, space } from "./rule.ts";
import type { Sx } from "../scalar.ts";

// y[o] = x[i] with i[perm[a]] = o[a], so y.shape[a] = x.shape[perm[a]]; weight 1. Default: reversed axes.

function permOf(rank: number, perm: unknown): number[] {
  if (perm === undefined) return [...Array(rank).keys()].reverse();
  const p = (perm as readonly number[]).map((a) => (a < 0 ? a + rank : a));
  const ok = p.length === rank && p.every((a) => Number.isInteger(a) && a >= 0 && a < rank) && new Set(p).size === rank;
  if (!ok) throw new ShapeError(`perm [${(perm as readonly number[]).join(",")}] is not a permutation of the axes of a rank-${rank} tensor`);
  return p;
}

export const transpose = movement({
  name: "transpose",
  arity: 1,
  attrs: { perm: "ints?" },
  infer([x], attrs) {
    const p = permOf(x!.shape.length, attrs["perm"]);
    return { dtype: x!.dtype, shape: p.map((a) => x!.shape[a]!) };
  },
  links(ctx) {
    const x = ctx.xs[0]!;
    const p = permOf(x.shape.length, ctx.attrs["perm"]);
    const vars = space(ctx.y.shape, "o");
    const out = refs(vars);
    const inIndex: Sx[] = new Array<Sx>(p.length);
    p.forEach((src, a) => (inIndex[src] = out[a]!));
    return [{ input: 0, vars, inIndex, outIndex: out }];
  },
});
