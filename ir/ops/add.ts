import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = a + b; ∂y/∂a = 1, ∂y/∂b = 1
export const add = elementwise({
  name: "add", arity: 2,
  forward: ([a, b]) => S.add(a!, b!),
  jacobian: () => [S.c(1), S.c(1)],
});
