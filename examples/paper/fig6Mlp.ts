// The MLP of the paper's App. B.1 sanity check (Fig. 6b): 4 input features, one hidden layer of
// `hidden` ReLU units, 2 classes. Output: log p(target | x), or with `logit: true` the raw logit of
// `target` (the quantity whose path entropy fig6.ts reads; training reads the log-probability).

import { input, linear, logSoftmax, model, param, pick, relu } from "semic/dsl";

export default model("fig6Mlp", { hidden: 8, target: 1, logit: false }, ({ hidden, target, logit }) => {
  const x = input("x", [4]);
  const h = relu(linear(x, param("w1", [hidden, 4]), param("b1", [hidden])));
  const logits = linear(h, param("w2", [2, hidden]), param("b2", [2]));
  return logit ? pick(logits, [target]) : pick(logSoftmax(logits), [target]);
});
