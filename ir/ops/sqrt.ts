import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = √x; ∂y/∂x = 1/(2y)
export const sqrt = elementwise({
  name: "sqrt", arity: 1,
  domain: { 0: "positive" },
  forward: ([x]) => S.sqrt(x!),
  jacobian: (_xs, y) => [S.div(0.5, y)],
});
