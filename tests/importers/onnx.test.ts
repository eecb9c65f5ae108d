// ONNX import checked against PyTorch: fixtures exported by scripts/onnx-fixtures.py (torch 1.13)
// with torch's forward value and autograd gradients. semic's output and sumprod adjoints must equal
// torch's, with and without --fuse; maxprod and count on the MLP equal brute-force enumeration.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { compileAndLoad, expectLanesClose, expectMatchesBruteForce } from "../oracle/check.ts";
import { importOnnx } from "../../compiler/importers/onnx/index.ts";
import { fusions, type Fusion } from "../../compiler/importers/options.ts";
import type { Selector } from "../../compiler/importers/onnx/select.ts";
import type { GeneratedModel } from "../../compiler/compile.ts";
import { semiringByName } from "../../ir/semirings/index.ts";

const DIR = fileURLToPath(new URL("../fixtures/onnx/", import.meta.url));

interface Expected {
  inputs: Record<string, unknown>;
  pick: number[];
  value: number;
  grads: Record<string, unknown>;
  paramGrads: Record<string, unknown>;
  wordsGrad?: unknown;
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const expected = (name: string): Expected => JSON.parse(readFileSync(`${DIR}${name}.expected.json`, "utf8")) as Expected;

/** The word-embedding lookup of each id model, named so that its adjoint can be asked for. */
const words: Record<string, Selector> = {
  "bert.opset14": { label: "words", pattern: "*/word_embeddings/Gather" },
  "bert.opset17": { label: "words", pattern: "*/word_embeddings/Gather" },
  gpt2: { label: "words", pattern: "/wte/Gather" },
};

function load(name: string, fuse: readonly Fusion[]) {
  const exp = expected(name);
  const names = words[name] ? [words[name]] : [];
  const { graph, params } = importOnnx(`${DIR}${name}.onnx`, { fuse, branches: [], names, pick: exp.pick });
  const inputs = Object.fromEntries(Object.entries(exp.inputs).map(([k, v]) => [k, flat(v)]));
  return { exp, graph, params, inputs };
}

describe.each([
  ["mlp", fusions],
  ["chains", fusions],
  ["bert.opset14", fusions],
  ["bert.opset14", []],
  ["bert.opset17", fusions],
  ["gpt2", fusions],
  ["gpt2", []],
] as const)("%s (fuse: %j) against PyTorch", (name, fuse) => {
  test("output and sumprod gradients equal torch's", async () => {
    const { exp, graph, params, inputs } = load(name, fuse);
    // Initializers the exporter folded (e.g. transposed weights, "onnx::MatMul_…") lose their names.
    const kept = Object.keys(exp.paramGrads).filter((k) => k in params);
    expect(kept.length).toBeGreaterThan(Object.keys(exp.paramGrads).length / 2);
    const wrt = [...kept, ...Object.keys(exp.grads), ...(exp.wordsGrad ? ["words"] : [])];
    const { mod } = await compileAndLoad(graph, [semiringByName("sumprod", { k: 3 })], wrt);
    const model: GeneratedModel = mod.createModel(params);
    const { output, results } = model.run(inputs);
    expect(output).toBeCloseTo(exp.value, 6);
    const close = (got: ArrayLike<number>, want: unknown, what: string) => expectLanesClose(got, flat(want), 1e-4, what, 1e-6);
    for (const k of kept) close(results["sumprod"]!.wrt[k]!.value, exp.paramGrads[k], `∂/∂${k}`);
    for (const [k, g] of Object.entries(exp.grads)) close(results["sumprod"]!.wrt[k]!.value, g, `∂/∂${k}`);
    if (exp.wordsGrad) close(results["sumprod"]!.wrt["words"]!.value, exp.wordsGrad, "∂/∂ word embeddings output");
  });
});

describe("fusion", () => {
  test("--fuse lifts the exporters' chains to semic's primitives", () => {
    const ops = (name: string, fuse: readonly Fusion[]) => load(name, fuse).graph.nodes.map((n) => n.op);
    const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
    const bert = ops("bert.opset14", fusions);
    expect([count(bert, "layer_norm"), count(bert, "gelu"), count(bert, "pow"), count(bert, "erf")]).toEqual([5, 2, 0, 0]);
    const chains = ops("chains", fusions);
    expect(["softmax", "layer_norm", "gelu", "gelu"].every((op) => chains.includes(op as never))).toBe(true);
    expect(chains.filter((op) => ["exp", "sqrt", "erf", "tanh", "pow", "mul", "div"].includes(op))).toEqual([]);
    const gpt2 = ops("gpt2", ["gelu"]);
    expect([count(gpt2, "gelu"), count(gpt2, "tanh"), count(gpt2, "layer_norm")]).toEqual([2, 0, 0]);
  });

  test("without --fuse softmax, an elementary softmax's max shift is an error naming the fix", () => {
    expect(() => load("chains", [])).toThrow(/ReduceMax, opset 14\): reduces a value computed by the model.*--fuse softmax/);
  });
});

test("an embedding lookup of the model's ids is named <input>.embedded, a default wrt tensor", () => {
  const { graph } = importOnnx(`${DIR}gpt2.onnx`, { fuse: fusions, branches: [], names: [], pick: [0, 5, 4] });
  const names = graph.nodes.filter((n) => n.op === "name").map((n) => [n.attrs["label"], graph.nodes[n.inputs[0]!]!.op]);
  expect(names).toEqual([["input_ids.embedded", "gather"]]);
});

describe("paths on the MLP fixture equal brute-force enumeration", () => {
  test.each(["maxprod", "count", "entropy", "sumprod"])("%s", async (sr) => {
    const { graph, params, inputs } = load("mlp", fusions);
    const feeds = Object.fromEntries(Object.entries({ ...params, ...inputs }).map(([k, v]) => [k, Float64Array.from(v)]));
    await expectMatchesBruteForce(graph, feeds, [semiringByName(sr, { k: 3 })], ["x", "fc1.weight"], 1e-9);
  });
});
