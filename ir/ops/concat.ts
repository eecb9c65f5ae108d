import * as S from "../scalar.ts";
import { normAxis, ShapeError, showType } from "../types.ts";
import { attrNum, movement, refs, space } from "./rule.ts";

// y = [x0; x1; …] along `axis`: x_k[…, j, …] → y[…, j + offset_k, …], weight 1.
export const concat = movement({
  name: "concat",
  arity: { min: 1 },
  attrs: { axis: "int" },
  infer(xs, attrs) {
    const first = xs[0]!;
    const axis = normAxis(attrNum(attrs, "axis"), first.shape.length);
    for (const t of xs) {
      const ok = t.dtype === first.dtype && t.shape.length === first.shape.length &&
        t.shape.every((d, a) => a === axis || d === first.shape[a]);
      if (!ok) throw new ShapeError(`operands must agree except along axis ${axis}: ${xs.map(showType).join(", ")}`);
    }
    const total = xs.reduce((n, t) => n + t.shape[axis]!, 0);
    return { dtype: first.dtype, shape: first.shape.map((d, a) => (a === axis ? total : d)) };
  },
  links(ctx) {
    const axis = normAxis(attrNum(ctx.attrs, "axis"), ctx.y.shape.length);
    let offset = 0;
    return ctx.xs.map((t, input) => {
      const vars = space(t.shape, "i");
      const idx = refs(vars);
      const link = { input, vars, inIndex: idx, outIndex: idx.map((i, a) => (a === axis ? S.add(i, offset) : i)) };
      offset += t.shape[axis]!;
      return link;
    });
  },
});
