import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = a·b; ∂y/∂a = b, ∂y/∂b = a
export const mul = elementwise({
  name: "mul", arity: 2,
  forward: ([a, b]) => S.mul(a!, b!),
  jacobian: ([a, b]) => [b!, a!],
});
