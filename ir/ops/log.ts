import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = log x; ∂y/∂x = 1/x
export const log = elementwise({
  name: "log", arity: 1,
  domain: { 0: "positive" },
  forward: ([x]) => S.log(x!),
  jacobian: ([x]) => [S.div(1, x!)],
});
