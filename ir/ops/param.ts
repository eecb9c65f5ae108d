import { ShapeError } from "../types.ts";
import type { OpRule } from "./rule.ts";

// A trained parameter, named by its first argument (the key in a weights file).
export const param: OpRule = {
  name: "param",
  arity: 0,
  attrs: { name: "string", shape: "ints" },
  role: "param",
  infer(_xs, attrs) {
    const shape = attrs["shape"] as readonly number[];
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) throw new ShapeError(`bad shape [${shape.join(",")}]`);
    return { dtype: "f32", shape };
  },
  forward: () => [],
  edges: () => [],
};
