import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = a − b; ∂y/∂a = 1, ∂y/∂b = −1
export const sub = elementwise({
  name: "sub", arity: 2,
  forward: ([a, b]) => S.sub(a!, b!),
  jacobian: () => [S.c(1), S.c(-1)],
});
