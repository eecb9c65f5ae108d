import { ShapeError, sizeOf } from "../types.ts";
import { leaf } from "./rule.ts";

// Values fixed at compile time (row-major in `values`); no edges into a constant.
export const constant = leaf({
  name: "constant",
  role: "constant",
  attrs: { shape: "ints", values: "floats" },
  check(shape, attrs) {
    const values = attrs["values"];
    if (!Array.isArray(values) || values.length !== sizeOf(shape))
      throw new ShapeError(`${Array.isArray(values) ? values.length : 0} values do not fill shape [${shape.join(",")}]`);
  },
});
