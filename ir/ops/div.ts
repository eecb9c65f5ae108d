import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = a/b; ∂y/∂a = 1/b, ∂y/∂b = −y/b
export const div = elementwise({
  name: "div", arity: 2,
  domain: { 1: "nonzero" },
  forward: ([a, b]) => S.div(a!, b!),
  jacobian: ([, b], y) => [S.div(1, b!), S.neg(S.div(y, b!))],
});
