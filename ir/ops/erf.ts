import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = erf x; ∂y/∂x = 2/√π · e^(−x²). erf(0) is exactly 0: the shared erf fit is off by ~1e-7 there,
// in a different direction in f32 and f64, and a log-domain semiring must see the same 0 everywhere.
export const erf = elementwise({
  name: "erf", arity: 1,
  forward: ([x]) => S.select(S.eq(x!, 0), 0, S.erf(x!)),
  jacobian: ([x]) => [S.mul(2 / Math.sqrt(Math.PI), S.exp(S.neg(S.mul(x!, x!))))],
});
