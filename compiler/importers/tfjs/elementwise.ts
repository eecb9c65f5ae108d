// Elementwise TF ops: most are ONNX's under another name; Square and Rsqrt are pow, Maximum with a
// constant floor is relu (l2_normalize's max(Σx², ε)), and comparisons only shape known masks.

import type { OpName } from "../../../ir/ops/index.ts";
import type { Lowering, Val } from "../onnx/context.ts";
import { elementwiseOps } from "../onnx/elementwise.ts";
import type { OnnxOp } from "../onnx/op.ts";
import { zipWith } from "../onnx/tensor.ts";
import { inputName, via } from "./via.ts";

const onnx = (name: string, tfAttrs: readonly string[] = ["T"]): OnnxOp => via(elementwiseOps[name]!, tfAttrs, (ctx) => ({ inputs: ctx.current!.inputs }));

function unary(op: OpName, attrs: Record<string, number | string>, f: (x: number) => number): OnnxOp {
  return {
    attrs: ["T"],
    fold: (xs) => [zipWith("float", [xs[0]!], f)],
    lower: (ctx) => [{ node: ctx.add(op, [ctx.node(ctx.need(0, "x"))], attrs) }],
  };
}

/** BiasAdd: x + bias over the channel axis, which is the last one in NHWC. */
const biasAdd: OnnxOp = via(elementwiseOps["Add"]!, ["T", "data_format"], (ctx) => {
  const format = ctx.str("data_format", "NHWC");
  if (format !== "NHWC") ctx.fail(`data_format ${format}: semic reads NHWC (channels last)`);
  return { inputs: [inputName(ctx, 0), inputName(ctx, 1)] };
});

/** max(x, c) for a known scalar c is relu(x − c) + c: the same values, and the edge x → y has weight 1 where x > c. */
const maximum: OnnxOp = {
  attrs: ["T"],
  fold: (xs) => [zipWith(xs.some((x) => x?.kind === "float") ? "float" : "int", [xs[0]!, xs[1]!], Math.max)],
  lower: (ctx) => {
    const [a, b] = [ctx.need(0, "x"), ctx.need(1, "y")];
    const x = "konst" in b ? a : b, c = "konst" in b ? b : a;
    if (!("konst" in c) || c.konst.data.length !== 1)
      return ctx.fail("the maximum of two values computed by the model is not supported (semic imports max(x, c) for a known scalar c)");
    const floor: Val = { konst: c.konst };
    const shifted = ctx.add("relu", [ctx.add("sub", [ctx.node(x), ctx.node(floor)])]);
    return [{ node: ctx.add("add", [shifted, ctx.node(floor)]) }];
  },
};

/** Cast: TF's DstT as ONNX's `to` (TensorProto codes). */
const onnxTypeCodes: Record<string, number> = { float32: 1, int32: 6, int64: 7, bool: 9 };
const cast: OnnxOp = {
  attrs: ["SrcT", "DstT", "Truncate"],
  fold: ([x], ctx) => {
    const dst = ctx.str("DstT", "");
    const to = onnxTypeCodes[dst] ?? ctx.fail(`cast to ${dst} is not supported`);
    return [zipWith(to === 1 ? "float" : to === 9 ? "bool" : "int", [x!], (v) => (to === 1 ? v : to === 9 ? (v !== 0 ? 1 : 0) : Math.trunc(v)))];
  },
  lower: (ctx: Lowering) => {
    const x = ctx.need(0, "x");
    if (ctx.type(x).dtype === "f32" && ctx.str("DstT", "") === "float32") return [x];
    return ctx.fail(`casts a value computed by the model to ${ctx.str("DstT", "")}; semic keeps model values in float`);
  },
};

export const elementwiseTfOps: Record<string, OnnxOp> = {
  Add: onnx("Add"),
  AddV2: onnx("Add"),
  BiasAdd: biasAdd,
  Sub: onnx("Sub"),
  Mul: onnx("Mul"),
  RealDiv: onnx("Div"),
  Tanh: onnx("Tanh"),
  Relu: onnx("Relu"),
  Sigmoid: onnx("Sigmoid"),
  Exp: onnx("Exp"),
  Log: onnx("Log"),
  Sqrt: onnx("Sqrt"),
  Neg: onnx("Neg"),
  Square: unary("pow", { exponent: 2 }, (x) => x * x),
  Rsqrt: unary("pow", { exponent: -0.5 }, (x) => 1 / Math.sqrt(x)),
  Sin: unary("sin", {}, Math.sin),
  Cos: unary("cos", {}, Math.cos),
  Maximum: maximum,
  Cast: cast,
  Less: onnx("Less"),
  Greater: onnx("Greater"),
  Equal: onnx("Equal", ["T", "incompatible_shape_error"]),
  LogicalNot: onnx("Not", []),
  LogicalAnd: onnx("And", []),
};
