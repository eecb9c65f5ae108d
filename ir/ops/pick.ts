import * as S from "../scalar.ts";
import { ShapeError, showShape, type Shape } from "../types.ts";
import { attrInts, movement, type Attrs } from "./rule.ts";

// y = x[index], a scalar (negative entries count from the end); one weight-1 edge.

function at(shape: Shape, attrs: Attrs): number[] {
  const index = attrInts(attrs, "index");
  if (index.length !== shape.length) throw new ShapeError(`index [${index.join(",")}] needs ${shape.length} entries for ${showShape(shape)}`);
  return index.map((i, a) => {
    const n = shape[a]!, k = i < 0 ? i + n : i;
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new ShapeError(`index [${index.join(",")}] is out of range for ${showShape(shape)}`);
    return k;
  });
}

export const pick = movement({
  name: "pick",
  arity: 1,
  attrs: { index: "ints" },
  infer([x], attrs) {
    at(x!.shape, attrs);
    return { dtype: x!.dtype, shape: [] };
  },
  links(ctx) {
    return [{ input: 0, vars: [], inIndex: at(ctx.xs[0]!.shape, ctx.attrs).map((k) => S.c(k)), outIndex: [] }];
  },
});
