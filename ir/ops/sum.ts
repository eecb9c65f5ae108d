import { reduction } from "./rule.ts";
import * as S from "../scalar.ts";

// y = Σ x over `axes`; ∂y/∂x = 1
export const sum = reduction({ name: "sum", op: "sum", weight: () => S.c(1) });
