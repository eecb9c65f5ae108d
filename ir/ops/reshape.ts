import * as S from "../scalar.ts";
import type { Sx } from "../scalar.ts";
import { ShapeError, showShape, sizeOf, stridesOf, type Shape } from "../types.ts";
import { attrInts, movement, refs, space } from "./rule.ts";

// y = x with a new shape of the same size (row-major): y[o] = x[unravel(ravel(o))], weight 1.

/** The new shape, with at most one −1 standing for the remaining extent. */
function newShape(from: Shape, want: readonly number[]): number[] {
  const known = want.filter((d) => d !== -1);
  if (want.length - known.length > 1 || !known.every((d) => Number.isInteger(d) && d > 0))
    throw new ShapeError(`bad target shape ${showShape(want)}`);
  const rest = sizeOf(from) / sizeOf(known);
  const shape = want.map((d) => (d === -1 ? rest : d));
  if (sizeOf(shape) !== sizeOf(from) || !Number.isInteger(rest))
    throw new ShapeError(`cannot reshape ${showShape(from)} (${sizeOf(from)} elements) to ${showShape(want)}`);
  return shape;
}

/**
 * The input multi-index of output element `out`. Unit axes are skipped; when the non-unit extents
 * agree the axes map one to one, otherwise through the flat offset f: i_a = ⌊f/s_a⌋ − n_a·⌊f/(s_a·n_a)⌋,
 * exact in float64 for sizes below 2^31 (the quotient stays ≥ 1/f away from the next integer).
 */
export function reshapeIndex(inShape: Shape, outShape: Shape, out: readonly Sx[]): Sx[] {
  const inAxes = inShape.flatMap((d, a) => (d === 1 ? [] : [a]));
  const outAxes = outShape.flatMap((d, a) => (d === 1 ? [] : [a]));
  if (inAxes.length === outAxes.length && inAxes.every((a, k) => inShape[a] === outShape[outAxes[k]!])) {
    const idx: Sx[] = inShape.map(() => S.c(0));
    inAxes.forEach((a, k) => (idx[a] = out[outAxes[k]!]!));
    return idx;
  }
  const outStrides = stridesOf(outShape);
  const flat = outAxes.reduce<Sx>((f, a) => S.add(f, S.mul(out[a]!, outStrides[a]!)), S.c(0));
  const inStrides = stridesOf(inShape);
  return inShape.map((n, a) => {
    if (n === 1) return S.c(0);
    const s = inStrides[a]!;
    const q = s === 1 ? flat : S.floor(S.div(flat, s));
    return a === inAxes[0] ? q : S.sub(q, S.mul(n, S.floor(S.div(flat, s * n))));
  });
}

export const reshape = movement({
  name: "reshape",
  arity: 1,
  attrs: { shape: "ints" },
  infer([x], attrs) {
    return { dtype: x!.dtype, shape: newShape(x!.shape, attrInts(attrs, "shape")) };
  },
  links(ctx) {
    const vars = space(ctx.y.shape, "o");
    const out = refs(vars);
    return [{ input: 0, vars, inIndex: reshapeIndex(ctx.xs[0]!.shape, ctx.y.shape, out), outIndex: out }];
  },
});
