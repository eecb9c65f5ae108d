import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = 1/(1 + e⁻ˣ); ∂y/∂x = y(1 − y)
export const sigmoid = elementwise({
  name: "sigmoid", arity: 1,
  forward: ([x]) => S.sigmoid(x!),
  jacobian: (_xs, y) => [S.mul(y, S.sub(1, y))],
});
