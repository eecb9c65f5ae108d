import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = erf x; ∂y/∂x = 2/√π · e^(−x²)
export const erf = elementwise({
  name: "erf", arity: 1,
  forward: ([x]) => S.erf(x!),
  jacobian: ([x]) => [S.mul(2 / Math.sqrt(Math.PI), S.exp(S.neg(S.mul(x!, x!))))],
});
