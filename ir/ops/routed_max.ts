import { reduction } from "./rule.ts";
import * as S from "../scalar.ts";

// y = max x over `axes`; ∂y/∂x = 1 at an arg-max element, 0 elsewhere (every element keeps its
// edge, so zero-weight edges still compete in path semirings), as an autodiff library routes it.
export const routed_max = reduction({
  name: "routed_max", op: "max",
  weight: (x, y) => S.select(S.eq(x, y), 1, 0),
});
