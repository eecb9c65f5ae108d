// A two-layer MLP classifier: x[4] → linear(16) → relu → linear(3) → logSoftmax → log p(class).
// The hidden layer reaches the output through a named branch ("head"), so its contribution can be
// read separately from the (here only) consumer; `--config hidden=32` widens the hidden layer.

import { branch, input, linear, logSoftmax, model, name, param, pick, relu } from "semic/dsl";

export default model("mlp", { hidden: 16, classes: 3, target: 1 }, ({ hidden, classes, target }) => {
  const x = input("x", [4]);
  const h = name(relu(linear(x, param("w1", [hidden, 4]), param("b1", [hidden]))), "h");
  const logits = linear(branch(h, "head"), param("w2", [classes, hidden]), param("b2", [classes]));
  return pick(logSoftmax(logits), [target]);
});
