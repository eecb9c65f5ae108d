import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = eˣ; ∂y/∂x = y
export const exp = elementwise({
  name: "exp", arity: 1,
  forward: ([x]) => S.exp(x!),
  jacobian: (_xs, y) => [y],
});
