import * as S from "../scalar.ts";
import { normAxis, ShapeError, showShape, type Shape } from "../types.ts";
import { attrNum, movement, refs, space, type Attrs } from "./rule.ts";

// y = x[..., start:end, ...] along `axis` (numpy: negative bounds count from the end, then clamp);
// y[…, j, …] = x[…, j + start, …], weight 1.

function bounds(shape: Shape, attrs: Attrs) {
  const axis = normAxis(attrNum(attrs, "axis"), shape.length);
  const n = shape[axis]!;
  const norm = (b: number) => Math.min(Math.max(b < 0 ? b + n : b, 0), n);
  const start = norm(attrNum(attrs, "start")), end = norm(attrNum(attrs, "end"));
  if (end <= start)
    throw new ShapeError(`empty slice ${attrNum(attrs, "start")}:${attrNum(attrs, "end")} of axis ${axis} of ${showShape(shape)}`);
  return { axis, start, end };
}

export const slice = movement({
  name: "slice",
  arity: 1,
  attrs: { axis: "int", start: "int", end: "int" },
  infer([x], attrs) {
    const { axis, start, end } = bounds(x!.shape, attrs);
    return { dtype: x!.dtype, shape: x!.shape.map((d, a) => (a === axis ? end - start : d)) };
  },
  links(ctx) {
    const { axis, start } = bounds(ctx.xs[0]!.shape, ctx.attrs);
    const vars = space(ctx.y.shape, "o");
    const out = refs(vars);
    return [{ input: 0, vars, inIndex: out.map((o, a) => (a === axis ? S.add(o, start) : o)), outIndex: out }];
  },
});
