import * as S from "../scalar.ts";
import { refs, space, X, type OpRule } from "./rule.ts";

/** A labelled identity: y = x, one weight-1 edge per element. */
export function identity(opName: string, role: "name" | "branch"): OpRule {
  const at = (shape: readonly number[]) => {
    const vars = space(shape);
    return { vars, idx: refs(vars) };
  };
  return {
    name: opName,
    arity: 1,
    attrs: { label: "string" },
    role,
    infer: ([x]) => x!,
    forward(ctx) {
      const { vars, idx } = at(ctx.y.shape);
      return [{ target: "y", vars, index: idx, body: X(0, idx) }];
    },
    edges(ctx) {
      const { vars, idx } = at(ctx.y.shape);
      return [{ input: 0, vars, inIndex: idx, outIndex: idx, weight: S.c(1) }];
    },
  };
}
