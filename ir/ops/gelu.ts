import { elementwise, type OpRule } from "./rule.ts";
import * as S from "../scalar.ts";
import type { Sx } from "../scalar.ts";
import { ShapeError } from "../types.ts";

// erf form: y = ½x(1 + erf(x/√2)), ∂y/∂x = ½(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π).
// tanh form: y = ½x(1 + t), t = tanh(u), u = √(2/π)(x + 0.044715x³),
//            ∂y/∂x = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²).
const K = Math.sqrt(2 / Math.PI), A = 0.044715;

const tanhArg = (x: Sx) => S.mul(K, S.add(x, S.mul(A, S.mul(x, S.mul(x, x)))));

const base = elementwise({
  name: "gelu", arity: 1,
  attrs: { approximate: "string" },
  forward: ([x], attrs) =>
    attrs["approximate"] === "tanh"
      ? S.mul(S.mul(0.5, x!), S.add(1, S.tanh(tanhArg(x!))))
      : S.mul(S.mul(0.5, x!), S.add(1, S.erf(S.mul(x!, Math.SQRT1_2)))),
  jacobian: ([x], _y, attrs) => {
    if (attrs["approximate"] === "tanh") {
      const t = S.tanh(tanhArg(x!));
      const du = S.mul(K, S.add(1, S.mul(3 * A, S.mul(x!, x!))));
      return [S.add(S.mul(0.5, S.add(1, t)), S.mul(S.mul(S.mul(0.5, x!), S.sub(1, S.mul(t, t))), du))];
    }
    const pdf = S.mul(1 / Math.sqrt(2 * Math.PI), S.exp(S.mul(-0.5, S.mul(x!, x!))));
    return [S.add(S.mul(0.5, S.add(1, S.erf(S.mul(x!, Math.SQRT1_2)))), S.mul(x!, pdf))];
  },
});

// The factory does not look at attribute values, so the choice of form is checked here.
export const gelu: OpRule = {
  ...base,
  infer(xs, attrs) {
    const a = attrs["approximate"];
    if (a !== "erf" && a !== "tanh") throw new ShapeError(`approximate must be "erf" or "tanh", got ${String(a)}`);
    return base.infer(xs, attrs);
  },
};
