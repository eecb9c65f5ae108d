import * as S from "../scalar.ts";
import { rowNormalizer } from "./rows.ts";

// y_i = x_i − m − log Σ_j e^(x_j − m) over the last axis (m = row max, for stability);
// dense per-row Jacobian: x_j → y_i with weight δij − e^(y_j).
export const log_softmax = rowNormalizer({
  name: "log_softmax",
  output: (shifted, rowsum) => S.sub(shifted, S.log(rowsum)),
  weight: (_yi, yj, dij) => S.sub(dij, S.exp(yj)),
});
