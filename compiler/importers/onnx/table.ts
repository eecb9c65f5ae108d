// The ONNX ops semic imports, one entry each (families in their own files). An op missing here is
// an error naming the op, the node and the opset.

import { contractionOps } from "./contraction.ts";
import { elementwiseOps } from "./elementwise.ts";
import { knownOps } from "./known.ts";
import { movementOps } from "./movement.ts";
import type { OnnxOp } from "./op.ts";
import { reduceOps } from "./reduce.ts";
import { rowOps } from "./rows.ts";

export const onnxOps: Readonly<Record<string, OnnxOp>> = {
  ...elementwiseOps,
  ...contractionOps,
  ...rowOps,
  ...reduceOps,
  ...movementOps,
  ...knownOps,
};

export const onnxOpNames = Object.keys(onnxOps).sort();
