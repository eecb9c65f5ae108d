import { attrNum, elementwise } from "./rule.ts";
import * as S from "../scalar.ts";
import type { Sx } from "../scalar.ts";

// y = x^p for a constant exponent p; ∂y/∂x = p·x^(p−1). Small integer and half-integer powers are
// products and square roots (exact, and defined for negative x where p is an integer); any other
// p is e^(p·log x), for positive x only (as in PyTorch, a negative base gives NaN there).
function power(x: Sx, p: number): Sx {
  if (p === 0) return S.c(1);
  if (Number.isInteger(p) && Math.abs(p) <= 4) {
    let y = x;
    for (let k = 1; k < Math.abs(p); k++) y = S.mul(y, x);
    return p > 0 ? y : S.div(1, y);
  }
  if (p === 0.5) return S.sqrt(x);
  if (p === -0.5) return S.rsqrt(x);
  return S.exp(S.mul(p, S.log(x)));
}

export const pow = elementwise({
  name: "pow", arity: 1,
  attrs: { exponent: "float" },
  domain: { 0: "positive" },
  forward: ([x], attrs) => power(x!, attrNum(attrs, "exponent")),
  jacobian: ([x], _y, attrs) => {
    const p = attrNum(attrs, "exponent");
    return [p === 0 ? S.c(0) : S.mul(p, power(x!, p - 1))];
  },
});
