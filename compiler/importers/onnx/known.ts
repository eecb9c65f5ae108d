// Ops that produce tensors known at import time (Constant, Shape, ConstantOfShape, Range, Cast)
// and the identities (Identity, Dropout at inference).

import { isFoldable, type Lowering } from "./context.ts";
import type { AttrValue } from "./proto.ts";
import type { OnnxOp } from "./op.ts";
import { konst, scalar, vector, zipWith, type ConstTensor } from "./tensor.ts";
import { sizeOf } from "../../../ir/types.ts";

const constant: OnnxOp = {
  attrs: ["value", "value_float", "value_floats", "value_int", "value_ints"],
  lower: (ctx) => {
    const [key, v] = [...(ctx.current?.attrs ?? new Map<string, AttrValue>())][0] ?? ctx.fail("has no value");
    if (typeof v === "object" && !Array.isArray(v)) return [{ konst: v as ConstTensor }];
    if (typeof v === "number") return [{ konst: scalar(key === "value_int" ? "int" : "float", v) }];
    if (Array.isArray(v)) return [{ konst: vector(key === "value_ints" ? "int" : "float", v as number[]) }];
    return ctx.fail(`attribute ${key} is not supported`);
  },
};

const shape: OnnxOp = {
  attrs: ["start", "end"],
  lower: (ctx) => {
    const s = ctx.shape(ctx.need(0, "data"));
    const clamp = (b: number) => Math.min(Math.max(b < 0 ? b + s.length : b, 0), s.length);
    return [{ konst: vector("int", s.slice(clamp(ctx.int("start", 0)), clamp(ctx.int("end", s.length)))) }];
  },
};

const constantOfShape: OnnxOp = {
  attrs: ["value"],
  fold: (xs, ctx) => {
    const dims = xs[0]!.data;
    const v = ctx.attr("value") as ConstTensor | undefined;
    return [konst(v?.kind ?? "float", dims, new Array<number>(sizeOf(dims)).fill(v?.data[0] ?? 0))];
  },
};

const range: OnnxOp = {
  attrs: [],
  fold: ([start, limit, delta]) => {
    const [s, l, d] = [start!.data[0]!, limit!.data[0]!, delta!.data[0]!];
    const n = Math.max(Math.ceil((l - s) / d), 0);
    return [vector(start!.kind, Array.from({ length: n }, (_, i) => s + i * d))];
  },
};

/** ONNX TensorProto.DataType codes of the float types. */
const floatTypes = new Set([1, 10, 11, 16]);

const cast: OnnxOp = {
  attrs: ["to", "saturate"],
  fold: (xs, ctx) => {
    const to = ctx.int("to");
    if (floatTypes.has(to)) return [zipWith("float", [xs[0]!], (v) => v)];
    if (to === 9) return [zipWith("bool", [xs[0]!], (v) => (v !== 0 ? 1 : 0))];
    return [zipWith("int", [xs[0]!], Math.trunc)];
  },
  lower: (ctx) => {
    const x = ctx.need(0, "input");
    if (ctx.type(x).dtype === "f32" && floatTypes.has(ctx.int("to"))) return [x];
    return ctx.fail(`casts a value computed by the model to type ${ctx.int("to")}; semic keeps model values in float`);
  },
};

function passThrough(what: string): OnnxOp {
  return {
    attrs: ["seed", "ratio"],
    lower: (ctx: Lowering) => {
      const training = ctx.input(2);
      if (training && (!isFoldable(training) || training.konst.data[0] !== 0)) ctx.fail(`${what} in training mode is not supported; export the model in eval mode`);
      for (const out of (ctx.current?.outputs ?? []).slice(1)) if (out) ctx.unavailable(out, `the mask output of ${what} is not supported`);
      return [ctx.need(0, "input")];
    },
  };
}

export const knownOps: Record<string, OnnxOp> = {
  Constant: constant,
  Shape: shape,
  ConstantOfShape: constantOfShape,
  Range: range,
  Cast: cast,
  Identity: { attrs: [], lower: (ctx) => [ctx.need(0, "input")] },
  Dropout: passThrough("Dropout"),
};
