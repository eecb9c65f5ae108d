import { ShapeError } from "../types.ts";
import type { OpRule } from "./rule.ts";

// A model input, named by its first argument; f32 values or i32 token ids.
export const input: OpRule = {
  name: "input",
  arity: 0,
  attrs: { name: "string", shape: "ints", dtype: "string?" },
  role: "input",
  infer(_xs, attrs) {
    const shape = attrs["shape"] as readonly number[];
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) throw new ShapeError(`bad shape [${shape.join(",")}]`);
    const dtype = attrs["dtype"] ?? "f32";
    if (dtype !== "f32" && dtype !== "i32") throw new ShapeError(`dtype must be f32 or i32, got ${String(dtype)}`);
    return { dtype, shape };
  },
  forward: () => [],
  edges: () => [],
};
