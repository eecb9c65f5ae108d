import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = cos x; ∂y/∂x = −sin x
export const cos = elementwise({
  name: "cos", arity: 1,
  forward: ([x]) => S.cos(x!),
  jacobian: ([x]) => [S.neg(S.sin(x!))],
});
