import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = sin x; ∂y/∂x = cos x
export const sin = elementwise({
  name: "sin", arity: 1,
  forward: ([x]) => S.sin(x!),
  jacobian: ([x]) => [S.cos(x!)],
});
