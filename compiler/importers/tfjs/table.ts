// The TF ops semic imports from TF.js graph models, one entry each (families in their own files).
// An op missing here is an error naming the op, the node and the file.

import type { OnnxOp } from "../onnx/op.ts";
import { rowOps } from "../onnx/rows.ts";
import { contractionTfOps } from "./contraction.ts";
import { elementwiseTfOps } from "./elementwise.ts";
import { movementTfOps } from "./movement.ts";
import { sparseTfOps } from "./sparse.ts";
import { via } from "./via.ts";

export const tfjsOps: Readonly<Record<string, OnnxOp>> = {
  ...elementwiseTfOps,
  ...movementTfOps,
  ...sparseTfOps,
  ...contractionTfOps,
  Softmax: via(rowOps["Softmax"]!, ["T"], (ctx) => ({ inputs: ctx.current!.inputs })),
};
