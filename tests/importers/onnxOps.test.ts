// The ONNX op table on small hand-written models: shape subgraphs folded at import time, masks,
// Gemm's general form, branches and names by glob, and the errors (one line naming the op, the
// node and the opset) for what semic cannot import.

import { describe, expect, test } from "vitest";
import { lowerModel } from "../../compiler/importers/onnx/index.ts";
import { fusions, parseImportOptions, type ImportOptions } from "../../compiler/importers/options.ts";
import { interpret } from "../../ir/interpret.ts";
import { onnxModel, type ModelSpec } from "./onnxModel.ts";

const plain: ImportOptions = { fuse: fusions, branches: [], names: [] };
const lower = (spec: ModelSpec, opts: Partial<ImportOptions> = {}) => lowerModel(onnxModel(spec), { ...plain, ...opts });
const ops = (spec: ModelSpec, opts: Partial<ImportOptions> = {}) => lower(spec, opts).graph.nodes.map((n) => n.op);

/** The forward value of the model's output on the given feeds. */
function run(spec: ModelSpec, feeds: Record<string, number[]>, opts: Partial<ImportOptions> = {}): number[] {
  const { graph, params } = lower(spec, opts);
  const t = interpret(graph, { ...params, ...feeds });
  return [...t.values[graph.output]!];
}

const x23 = { name: "x", shape: [2, 3] };

describe("shape arithmetic is folded at import time", () => {
  test("Shape → Gather → Unsqueeze → Concat → Reshape is evaluated at import time (here: no reshape at all)", () => {
    const spec: ModelSpec = {
      inputs: [x23],
      initializers: { zero: { shape: [], data: [0], type: "int64" }, last: { shape: [1], data: [-1], type: "int64" }, ax: { shape: [1], data: [0], type: "int64" } },
      nodes: [
        { op: "Constant", inputs: [], outputs: ["two"], attrs: { value_float: { float: 2 } } },
        { op: "Constant", inputs: [], outputs: ["shape3"], attrs: { value_ints: [2, 3, 1] } },
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Gather", inputs: ["s", "zero"], outputs: ["d0"] },
        { op: "Unsqueeze", inputs: ["d0", "ax"], outputs: ["d0v"] },
        { op: "Concat", inputs: ["d0v", "last"], outputs: ["shape"], attrs: { axis: 0 } },
        { op: "Div", inputs: ["x", "two"], outputs: ["half"] },
        { op: "Reshape", inputs: ["half", "shape"], outputs: ["r0"] },
        { op: "Reshape", inputs: ["r0", "shape3"], outputs: ["r"] },
        { op: "ReduceSum", inputs: ["r"], outputs: ["y"], attrs: { keepdims: 0 } },
      ],
      outputs: ["y"],
    };
    expect(ops(spec)).toEqual(["input", "constant", "div", "reshape", "sum"]);
    expect(run(spec, { x: [1, 2, 3, 4, 5, 6] })[0]).toBeCloseTo(10.5, 12);
  });

  test("ConstantOfShape, Range, Equal, Cast, Expand and Where on known tensors leave no nodes", () => {
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [3] }],
      initializers: { three: { shape: [1], data: [3], type: "int64" }, s: { shape: [], data: [0], type: "int64" }, e: { shape: [], data: [3], type: "int64" }, one: { shape: [], data: [1], type: "int64" } },
      nodes: [
        { op: "ConstantOfShape", inputs: ["three"], outputs: ["ones"], attrs: {} },
        { op: "Range", inputs: ["s", "e", "one"], outputs: ["r"] },
        { op: "Equal", inputs: ["r", "ones"], outputs: ["isOne"] },
        { op: "Cast", inputs: ["isOne"], outputs: ["m"], attrs: { to: 1 } },
        { op: "Expand", inputs: ["m", "three"], outputs: ["me"] },
        { op: "Mul", inputs: ["x", "me"], outputs: ["y0"] },
        { op: "ReduceSum", inputs: ["y0"], outputs: ["y"], attrs: { keepdims: 0 } },
      ],
      outputs: ["y"],
    };
    // ConstantOfShape's default value is 0: r == 0 only at index 0.
    expect(ops(spec)).toEqual(["input", "constant", "mul", "sum"]);
    expect(run(spec, { x: [5, 7, 11] })).toEqual([5]);
  });

  test("Where with a known causal mask keeps the model's values where the mask is set", () => {
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [2, 2] }],
      initializers: { mask: { shape: [2, 2], data: [1, 0, 1, 1], type: "int64" }, fill: { shape: [], data: [-100] } },
      nodes: [
        { op: "Cast", inputs: ["mask"], outputs: ["b"], attrs: { to: 9 } },
        { op: "Where", inputs: ["b", "x", "fill"], outputs: ["w"] },
        { op: "ReduceSum", inputs: ["w"], outputs: ["y"], attrs: { keepdims: 0 } },
      ],
      outputs: ["y"],
    };
    expect(run(spec, { x: [1, 2, 3, 4] })).toEqual([1 - 100 + 3 + 4]);
  });

  test("Gemm with transA, alpha and beta", () => {
    const spec: ModelSpec = {
      inputs: [{ name: "a", shape: [3, 2] }],
      initializers: { b: { shape: [3, 2], data: [1, 0, 0, 1, 1, 1] }, c: { shape: [2], data: [10, 20] } },
      nodes: [
        { op: "Gemm", inputs: ["a", "b", "c"], outputs: ["g"], attrs: { transA: 1, alpha: { float: 2 }, beta: { float: 0.5 } } },
        { op: "ReduceSum", inputs: ["g"], outputs: ["y"], attrs: { keepdims: 0 } },
      ],
      outputs: ["y"],
    };
    // aᵀ (2×3) · b (3×2) = [[1+5, 3+5], [2+6, 4+6]] for a = [[1,2],[3,4],[5,6]]; 2·that + ½c per row.
    expect(run(spec, { a: [1, 2, 3, 4, 5, 6] })[0]).toBeCloseTo(2 * (6 + 8 + 8 + 10) + 2 * (5 + 10), 10);
  });
});

const mlp: ModelSpec = {
  inputs: [{ name: "x", shape: [1, 3] }],
  initializers: { w: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, b: { shape: [2], data: [0.5, -0.5] } },
  nodes: [
    { name: "/encoder/layer.0/dense/Gemm", op: "Gemm", inputs: ["x", "w", "b"], outputs: ["h"], attrs: { transB: 1 } },
    { name: "/encoder/layer.0/act/Tanh", op: "Tanh", inputs: ["h"], outputs: ["t"] },
    { name: "/encoder/layer.0/Add", op: "Add", inputs: ["t", "h"], outputs: ["y"] },
  ],
  outputs: ["y"],
};

describe("--branch and --name by glob", () => {
  test("a branch on the matched node's computed input, a name on the matched value", () => {
    const { graph } = lower(mlp, {
      pick: [0, 1],
      branches: [{ label: "act", pattern: "*/act/*" }, { label: "skip", pattern: "*/layer.0/Add", slot: 1 }],
      names: [{ label: "hidden", pattern: "*/dense/Gemm" }],
    });
    const labelled = graph.nodes.filter((n) => n.op === "branch" || n.op === "name").map((n) => `${n.op} ${String(n.attrs["label"])}`);
    expect(labelled).toEqual(["name hidden", "branch act", "branch skip"]);
  });

  test("two branches on one input stay local to the matched node", () => {
    const { graph } = lower(mlp, { pick: [0, 0], branches: [{ label: "first", pattern: "*/act/Tanh" }, { label: "second", pattern: "*/act/Tanh" }] });
    const add = graph.nodes.find((n) => n.op === "add")!;
    // The residual Add reads the Gemm output itself, not a branch of it.
    expect(add.inputs.map((i) => graph.nodes[i]!.op)).toEqual(["tanh", "linear"]);
  });

  test("several matches are numbered in graph order", () => {
    const { graph } = lower(mlp, { pick: [0, 0], branches: [{ label: "b", pattern: "/encoder/*", slot: 0 }] });
    expect(graph.nodes.filter((n) => n.op === "branch").map((n) => n.attrs["label"])).toEqual(["b.0", "b.1", "b.2"]);
  });

  test("a pattern that matches nothing lists near names", () => {
    expect(() => lower(mlp, { pick: [0, 0], branches: [{ label: "key", pattern: "*/layer.0/Tanh" }] })).toThrow(
      /--branch key=\*\/layer.0\/Tanh: no node of test.onnx matches; near: \/encoder\/layer.0\/act\/Tanh/,
    );
  });

  test("a branch on a node with two computed inputs asks which one", () => {
    expect(() => lower(mlp, { pick: [0, 0], branches: [{ label: "skip", pattern: "*/Add" }] })).toThrow(/say which input.*0 \(t\), 1 \(h\)/);
  });

  test("options parse, and apply to ONNX models only", () => {
    const o = parseImportOptions("m.onnx", { fuse: ["gelu,layerNorm"], branch: ["key=*/key/MatMul:0"], pick: "0,-1" });
    expect(o).toEqual({ fuse: ["layerNorm", "gelu"], branches: [{ label: "key", pattern: "*/key/MatMul", slot: 0 }], names: [], pick: [0, -1] });
    expect(parseImportOptions("m.onnx", { fuse: ["none"] })?.fuse).toEqual([]);
    expect(() => parseImportOptions("m.ts", { branch: ["a=b"] })).toThrow(/--branch applies to ONNX \(.onnx\) models only/);
    expect(() => parseImportOptions("m.onnx", { fuse: ["layernorm"] })).toThrow(/--fuse: unknown chain "layernorm"/);
    expect(() => parseImportOptions("m.onnx", { branch: ["key"] })).toThrow(/expected LABEL=PATTERN/);
  });
});

describe("what cannot be imported is an error naming the op, the node and the opset", () => {
  const one = (node: ModelSpec["nodes"][number], extra: Partial<ModelSpec> = {}): ModelSpec => ({
    inputs: [x23],
    nodes: [node, { op: "ReduceSum", inputs: [node.outputs[0]!], outputs: ["y"], attrs: { keepdims: 0 } }],
    outputs: ["y"],
    ...extra,
  });
  test.each([
    ["an unsupported op", one({ name: "/act/Celu", op: "Celu", inputs: ["x"], outputs: ["h"] }), /test.onnx: node "\/act\/Celu" \(Celu, opset 14\): op Celu is not supported \(semic imports: Add, /],
    ["an unsupported attribute", one({ name: "/sm", op: "Softmax", inputs: ["x"], outputs: ["h"], attrs: { temperature: 2 } }), /node "\/sm" \(Softmax, opset 14\): attribute temperature is not supported/],
    ["a bad attribute value", one({ op: "Gelu", inputs: ["x"], outputs: ["h"], attrs: { approximate: "fast" } }, { opset: 20 }), /\(Gelu, opset 20\): approximate must be "none" or "tanh", got "fast"/],
    ["LayerNormalization over another axis", one({ op: "LayerNormalization", inputs: ["x", "g"], outputs: ["h"], attrs: { axis: 0 } }, { opset: 17, initializers: { g: { shape: [3], data: [1, 1, 1] } } }), /axis 0: semic normalises over the last axis only/],
    ["a mask computed by the model", one({ op: "Where", inputs: ["x", "x", "x"], outputs: ["h"] }), /\(Where, opset 14\): the condition \(input 0, "x"\) must be known at import time/],
    ["a cast of a model value to integers", one({ op: "Cast", inputs: ["x"], outputs: ["h"], attrs: { to: 7 } }), /casts a value computed by the model to type 7/],
    ["a Pow with a computed exponent", one({ op: "Pow", inputs: ["x", "x"], outputs: ["h"] }), /the exponent \(input 1, "x"\) must be known at import time/],
    ["a strided slice of a model value", one({ op: "Slice", inputs: ["x", "s", "e", "a", "st"], outputs: ["h"] }, {
      initializers: { s: { shape: [1], data: [0], type: "int64" }, e: { shape: [1], data: [3], type: "int64" }, a: { shape: [1], data: [1], type: "int64" }, st: { shape: [1], data: [2], type: "int64" } },
    }), /step 2 on axis 1: semic slices with step 1 only/],
  ])("%s", (_what, spec, message) => {
    expect(() => lower(spec)).toThrow(message);
  });

  test("symbolic input dimensions", () => {
    expect(() => lower(one({ op: "Relu", inputs: ["x"], outputs: ["h"] }, { inputs: [{ name: "x", shape: ["batch", 3] }] }))).toThrow(
      /input "x" has symbolic dimensions batch: semic compiles static shapes/,
    );
  });

  test("a tensor output without --pick says how to choose the scalar", () => {
    expect(() => lower({ inputs: [x23], nodes: [{ op: "Relu", inputs: ["x"], outputs: ["h"] }], outputs: ["h"] })).toThrow(
      /output "h" is f32\[2,3\]: choose the scalar to explain with --pick \(e.g. --pick 0,0\)/,
    );
    expect(() => lower({ inputs: [x23], nodes: [{ op: "Relu", inputs: ["x"], outputs: ["h"] }], outputs: ["h"] }, { pick: [2, 0] })).toThrow(/--pick 2,0: not an element/);
  });

  test("a file that is not ONNX", () => {
    expect(() => onnxModel({ inputs: [], nodes: [], outputs: [] })).toThrow(/test.onnx: the ONNX model has no graph nodes/);
  });
});
