import { ShapeError } from "../types.ts";
import { leaf } from "./rule.ts";

// A model input, named by its first argument; f32 values or i32 token ids.
export const input = leaf({
  name: "input",
  role: "input",
  attrs: { name: "string", shape: "ints", dtype: "string?" },
  dtype: (attrs) => {
    const dtype = attrs["dtype"] ?? "f32";
    if (dtype !== "f32" && dtype !== "i32") throw new ShapeError(`dtype must be f32 or i32, got ${String(dtype)}`);
    return dtype;
  },
});
