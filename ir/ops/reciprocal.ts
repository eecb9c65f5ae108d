import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = 1/x; ∂y/∂x = −y²
export const reciprocal = elementwise({
  name: "reciprocal", arity: 1,
  domain: { 0: "nonzero" },
  forward: ([x]) => S.div(1, x!),
  jacobian: (_xs, y) => [S.neg(S.mul(y, y))],
});
