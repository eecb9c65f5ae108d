import { ShapeError, sizeOf } from "../types.ts";
import type { OpRule } from "./rule.ts";

// Values fixed at compile time (row-major in `values`); no edges into a constant.
export const constant: OpRule = {
  name: "constant",
  arity: 0,
  attrs: { shape: "ints", values: "floats" },
  role: "constant",
  infer(_xs, attrs) {
    const shape = attrs["shape"] as readonly number[];
    const values = attrs["values"] as readonly number[];
    if (values.length !== sizeOf(shape))
      throw new ShapeError(`${values.length} values do not fill shape [${shape.join(",")}]`);
    return { dtype: "f32", shape };
  },
  forward: () => [],
  edges: () => [],
};
