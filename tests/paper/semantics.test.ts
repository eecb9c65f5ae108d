// --semantics paper beyond the worked examples: the library's decomposition of composites (against
// --expand's), the gradient it preserves on the §5.1 transformer, pointers naming the branches, and
// the same results from the WGSL target where a WebGPU adapter exists.

import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { compileGraph, compileGraphWgsl, importModule } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { consumerLabels, expandFor } from "../../compiler/semantics.ts";
import { GraphBuilder } from "../../ir/graph.ts";
import { expandComposites } from "../../ir/passes/expand.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { printGraph } from "../../ir/text/print.ts";
import { loadTensorFile } from "../../runtime/weights.ts";
import { expectLanesClose } from "../oracle/check.ts";
import { importFile } from "../wgsl/compare.ts";
import { describeGpu, suiteDevice } from "../wgsl/device.ts";

const example = (p: string) => fileURLToPath(new URL(`../../examples/${p}`, import.meta.url));

function composites() {
  const b = new GraphBuilder("composites");
  const x = b.add("input", [], { name: "x", shape: [3] });
  const ln = b.add("layer_norm", [x, b.add("param", [], { name: "g", shape: [3] }), b.add("param", [], { name: "b", shape: [3] })], { eps: 1e-5 });
  return b.build(b.add("sum", [b.add("log_softmax", [ln])]));
}

describe("decomposition", () => {
  test("paper: routed max, x − (log Σ e^(x − m) + m), var = E[x²] − E[x]²", () => {
    expect(printGraph(expandFor(composites(), "paper"))).toMatchInlineSnapshot(`
      "model @composites {
        %0 = input {name = "x", shape = [3]} : f32[3]
        %1 = param {name = "g", shape = [3]} : f32[3]
        %2 = param {name = "b", shape = [3]} : f32[3]
        %3 = mean %0 {axes = [0]} : f32[]
        %4 = reshape %3 {shape = [1]} : f32[1]
        %5 = mul %0, %0 : f32[3]
        %6 = mean %5 {axes = [0]} : f32[]
        %7 = reshape %6 {shape = [1]} : f32[1]
        %8 = mul %4, %4 : f32[1]
        %9 = sub %7, %8 : f32[1]
        %10 = constant {shape = [], values = [0.00001]} : f32[]
        %11 = add %9, %10 : f32[1]
        %12 = sqrt %11 : f32[1]
        %13 = sub %0, %4 : f32[3]
        %14 = div %13, %12 : f32[3]
        %15 = mul %14, %1 : f32[3]
        %16 = add %15, %2 : f32[3]
        %17 = routed_max %16 {axes = [0]} : f32[]
        %18 = reshape %17 {shape = [1]} : f32[1]
        %19 = sub %16, %18 : f32[3]
        %20 = exp %19 : f32[3]
        %21 = sum %20 {axes = [0]} : f32[]
        %22 = reshape %21 {shape = [1]} : f32[1]
        %23 = log %22 : f32[1]
        %24 = add %23, %18 : f32[1]
        %25 = sub %16, %24 : f32[3]
        %26 = sum %25 : f32[]
        return %26
      }
      "
    `);
  });
  test("--expand (element semantics): a detached max shift, var = mean((x − μ)²)", () => {
    expect(printGraph(expandComposites(composites(), ["layer_norm", "log_softmax"]))).toMatchInlineSnapshot(`
      "model @composites {
        %0 = input {name = "x", shape = [3]} : f32[3]
        %1 = param {name = "g", shape = [3]} : f32[3]
        %2 = param {name = "b", shape = [3]} : f32[3]
        %3 = mean %0 {axes = [0]} : f32[]
        %4 = reshape %3 {shape = [1]} : f32[1]
        %5 = sub %0, %4 : f32[3]
        %6 = mul %5, %5 : f32[3]
        %7 = mean %6 {axes = [0]} : f32[]
        %8 = reshape %7 {shape = [1]} : f32[1]
        %9 = constant {shape = [], values = [0.00001]} : f32[]
        %10 = add %8, %9 : f32[1]
        %11 = sqrt %10 : f32[1]
        %12 = div %5, %11 : f32[3]
        %13 = mul %12, %1 : f32[3]
        %14 = add %13, %2 : f32[3]
        %15 = max %14 {axes = [0]} : f32[]
        %16 = reshape %15 {shape = [1]} : f32[1]
        %17 = sub %14, %16 : f32[3]
        %18 = exp %17 : f32[3]
        %19 = sum %18 {axes = [0]} : f32[]
        %20 = reshape %19 {shape = [1]} : f32[1]
        %21 = log %20 : f32[1]
        %22 = sub %17, %21 : f32[3]
        %23 = sum %22 : f32[]
        return %23
      }
      "
    `);
  });
});

describe("the §5.1 transformer under --semantics paper", () => {
  test("the gradient is the element semantics' and every pointer names a branch of the embeddings", async () => {
    const { graph } = loadModel(example("transformer.ts"));
    const params = Object.fromEntries([...loadTensorFile(example("transformer.params.json"))].map(([k, t]) => [k, t.data]));
    const inputs = { ids: [3, 7, 0, 9, 3, 5] };
    const run = async (semantics: "element" | "paper") => {
      const c = compileGraph(graph, { semirings: [semirings.sumprod, semirings.maxprod], wrt: ["embeddings"], precision: "f64", semantics });
      return { graph: c.graph, ...(await importModule(c.js.js)).createModel(params).run(inputs, { topPath: false }) };
    };
    const [paper, element] = [await run("paper"), await run("element")];
    expect(paper.output).toBeCloseTo(element.output, 12);
    expectLanesClose(paper.results["sumprod"]!.wrt["embeddings"]!.value, element.results["sumprod"]!.wrt["embeddings"]!.value, 1e-9, "gradient", 1e-15);
    const labels = consumerLabels(paper.graph);
    const from = new Set([...paper.results["maxprod"]!.wrt["embeddings"]!.lanes["hiFrom"]!].map((id) => labels.get(id)));
    expect([...from].every((l) => ["query", "key", "value", "skip"].includes(l!))).toBe(true);
  });
});

const device = await suiteDevice();

describeGpu(device, "--semantics paper on WGSL", () => {
  test("values and pointers equal the JS target's (worked example B)", async () => {
    const b = new GraphBuilder("exampleB");
    const x = b.add("input", [], { name: "X", shape: [1, 2, 2] });
    const consumer = (label: string, values: number[]) =>
      b.add("mul", [b.add("branch", [x], { label }), b.add("constant", [], { shape: [2, 2], values })]);
    const [q, k, s] = [consumer("Q", [1, 5, 2, 0.5]), consumer("K", [3, 1, -4, 1]), consumer("S", [2, 2, 1, 1.5])];
    const g = b.build(b.add("sum", [b.add("add", [b.add("add", [q, k]), s])]));
    const opts = { semirings: [semirings.maxprod], semantics: "paper" as const };
    const js = (await importModule(compileGraph(g, opts).js.js)).createModel({}).run({ X: [1, 1, 1, 1] }, { topPath: false });
    const mod = (await importFile(compileGraphWgsl(g, opts).wgsl.js)) as {
      createModel(d: GPUDevice, p: object): Promise<{ run(i: object, o?: object): Promise<typeof js>; destroy(): void }>;
    };
    const model = await mod.createModel(device!, {});
    try {
      const gpu = await model.run({ X: [1, 1, 1, 1] });
      for (const lane of ["hi", "lo", "hiFrom", "loFrom"])
        expect([...gpu.results["maxprod"]!.wrt["X"]!.lanes[lane]!], lane).toEqual([...js.results["maxprod"]!.wrt["X"]!.lanes[lane]!]);
    } finally {
      model.destroy();
    }
  });
});
