import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = tanh x; ∂y/∂x = 1 − y²
export const tanh = elementwise({
  name: "tanh", arity: 1,
  forward: ([x]) => S.tanh(x!),
  jacobian: (_xs, y) => [S.sub(1, S.mul(y, y))],
});
