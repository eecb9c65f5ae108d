// What one ONNX op is to the importer: the attributes it understands, an import-time evaluation
// (for shape arithmetic and masks, used when every input is known) and a lowering onto semic's ops.

import type { Lowering, Val } from "./context.ts";
import type { ConstTensor } from "./tensor.ts";

export interface OnnxOp {
  /** Attributes this importer understands; any other attribute is an error naming it. */
  readonly attrs: readonly string[];
  /** Outputs computed at import time from known inputs (absent optional inputs are undefined). */
  readonly fold?: (xs: readonly (ConstTensor | undefined)[], ctx: Lowering) => readonly ConstTensor[];
  /** Outputs as semic values; absent when the op only makes sense on known inputs. */
  readonly lower?: (ctx: Lowering) => readonly Val[];
}
