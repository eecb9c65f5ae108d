import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = −x; ∂y/∂x = −1
export const neg = elementwise({
  name: "neg", arity: 1,
  forward: ([x]) => S.neg(x!),
  jacobian: () => [S.c(-1)],
});
