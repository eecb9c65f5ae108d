import { reduction } from "./rule.ts";
import * as S from "../scalar.ts";

// y = Σ x / n over `axes`; ∂y/∂x = 1/n
export const mean = reduction({
  name: "mean", op: "sum",
  finalize: (acc, n) => S.mul(acc, 1 / n),
  weight: (_x, _y, n) => S.c(1 / n),
});
