import { ShapeError, showType } from "../types.ts";
import { movement, refs, space, X, type OpRule } from "./rule.ts";

// Embedding lookup: y[s…, d…] = table[ids[s…], d…]; edges (weight 1) from the table only, ids are not differentiable.
const base = movement({
  name: "gather",
  arity: 2,
  attrs: {},
  infer([table, ids]) {
    if (table!.dtype !== "f32" || table!.shape.length === 0)
      throw new ShapeError(`the table must be f32 of rank ≥ 1, got ${showType(table!)}`);
    if (ids!.dtype !== "i32") throw new ShapeError(`ids must be i32, got ${showType(ids!)}`);
    return { dtype: "f32", shape: [...ids!.shape, ...table!.shape.slice(1)] };
  },
  links(ctx) {
    const [table, ids] = [ctx.xs[0]!, ctx.xs[1]!];
    const sv = space(ids.shape, "s"), dv = space(table.shape.slice(1), "d");
    const [s, d] = [refs(sv), refs(dv)];
    return [{ input: 0, vars: [...sv, ...dv], inIndex: [X(1, s), ...d], outIndex: [...s, ...d] }];
  },
});

export const gather: OpRule = { ...base, domain: { 1: "ids" } };
