import * as S from "../scalar.ts";
import { rowNormalizer } from "./rows.ts";

// y_i = e^(x_i − m) / Σ_j e^(x_j − m) over the last axis (m = row max, for stability);
// dense per-row Jacobian: x_j → y_i with weight y_i(δij − y_j).
export const softmax = rowNormalizer({
  name: "softmax",
  output: (shifted, rowsum) => S.div(S.exp(shifted), rowsum),
  weight: (yi, yj, dij) => S.mul(yi, S.sub(dij, yj)),
});
