import { elementwise } from "./rule.ts";
import * as S from "../scalar.ts";

// y = max(x, 0); ∂y/∂x = [x > 0]. An inactive unit keeps its edge, with weight 0.
export const relu = elementwise({
  name: "relu", arity: 1,
  forward: ([x]) => S.max(x!, 0),
  jacobian: ([x]) => [S.select(S.gt(x!, 0), 1, 0)],
});
