// The WebGPU module checks what it is given exactly as the JS module does (the same embedded
// run-time files): gather ids out of range are refused before any upload, and non-finite forward
// values give the same warning and the same NaN readouts as on the JS target.

import { expect, test } from "vitest";
import { buildBackward } from "../../compiler/backward.ts";
import { renderWgslModule } from "../../compiler/backends/wgsl/module.ts";
import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import type { Attrs } from "../../ir/ops/rule.ts";
import { semirings } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import type { WgslModel } from "../../runtime/webgpu.ts";
import { importFile, runJs } from "../wgsl/compare.ts";
import { describeGpu, suiteDevice } from "../wgsl/device.ts";

const device = await suiteDevice();

function build(name: string, body: (op: (o: OpName, xs: number[], attrs?: Attrs) => number) => number): Graph {
  const b = new GraphBuilder(name);
  return b.build(body((o, xs, attrs = {}) => b.add(o, xs, attrs)));
}

// Every semiring's readout rule is tested on the JS module (generated.test.ts); here three kinds
// (sum, max with paths, log domain), since each WGSL pipeline takes a while on SwiftShader.
const some: Semiring[] = [semirings.sumprod, semirings.maxprod, semirings.entropy];

async function wgslModel(g: Graph, wrt: string[], params: unknown, strict = false): Promise<WgslModel> {
  const { js } = renderWgslModule(buildBackward(g, wrt), some, { strict });
  const mod = (await importFile(js)) as { createModel(device: GPUDevice, params: unknown): Promise<WgslModel> };
  return mod.createModel(device!, params);
}

const embed = build("embed", (op) => {
  const e = op("gather", [op("param", [], { name: "table", shape: [5, 4] }), op("input", [], { name: "ids", shape: [3], dtype: "i32" })]);
  return op("sum", [op("mul", [e, op("input", [], { name: "x", shape: [3, 4] })])]);
});
const table = Array.from({ length: 20 }, (_, i) => i / 10);
const x = Array.from({ length: 12 }, (_, i) => 1 + i / 12);

// exp(1000·x) overflows for x = 1; z feeds a log that is −∞ at 0, masked by a relu.
const overflow = build("overflow", (op) => {
  const x = op("input", [], { name: "x", shape: [3] });
  const z = op("input", [], { name: "z", shape: [2] });
  const big = op("exp", [op("mul", [x, op("constant", [], { shape: [1], values: [1000] })])]);
  return op("add", [op("sum", [big]), op("sum", [op("relu", [op("log", [z])])])]);
});

describeGpu(device, "WGSL module: argument checks and non-finite values", () => {
  test("ids out of range are refused with the JS module's message; valid ids give the JS answer", async () => {
    const model = await wgslModel(embed, ["x"], { table });
    try {
      const range = "is out of range for gather(table [5,4]): ids must be in [0, 5)";
      await expect(model.run({ ids: [0, 5, 2], x })).rejects.toThrow(`run(): input ids[1] = 5 ${range}`);
      await expect(model.run({ ids: [-1, 0, 2], x })).rejects.toThrow(`run(): input ids[0] = -1 ${range}`);
      await expect(model.forward({ ids: [0, 0, 2.5], x })).rejects.toThrow("forward(): input ids[2] = 2.5 is not an integer id");
      await expect(model.run({ ids: [0, 1, 2], x: null } as never)).rejects.toThrow('run(): input "x" must be an array of 12 numbers (shape [3,4]), got null');
      await expect(model.run({ ids: [0, 1, 2], x }, { topPath: { index: [0, 0.5] } })).rejects.toThrow("options.topPath.index[1] = 0.5 must be an integer in [-4, 4)");
      const got = await model.run({ ids: [0, 4, 2], x }, { semirings: ["sumprod"] });
      const want = await runJs(embed, { table, ids: [0, 4, 2], x }, [semirings.sumprod], ["x"]);
      expect(Array.from(got.results["sumprod"]!.wrt["x"]!.value)).toEqual(Array.from(want.results["sumprod"]!.wrt["x"]!.value).map((v) => expect.closeTo(v, 5)));
    } finally {
      model.destroy();
    }
    await expect(wgslModel(embed, ["x"], { table: "0" })).rejects.toThrow('createModel(): parameter "table" must be an array of 20 numbers (shape [5,4]), got the string "0"');
  });

  test("non-finite forward values: the JS module's warning and NaN readouts; strict is an error", async () => {
    const feeds = { x: [0, 1, 0.5], z: [0, 2] };
    const model = await wgslModel(overflow, ["x", "z"], {});
    try {
      const got = await model.run(feeds);
      const want = await runJs(overflow, feeds, some, ["x", "z"]);
      expect(got.warnings).toEqual((want as unknown as { warnings: string[] }).warnings);
      expect(got.warnings[0]).toMatch(/^non-finite forward value: exp %4\[1\] = Infinity/);
      for (const [name, res] of Object.entries(got.results)) {
        expect(res.wrt["x"]!.value.every(Number.isNaN), name).toBe(true);
        expect(res.wrt["z"]!.value.every(Number.isNaN), name).toBe(true);
      }
      await expect(model.run(feeds, { strict: true })).rejects.toThrow("run(): non-finite forward value: exp %4[1] = Infinity");
      expect((await model.run({ x: [0, 0.001, 0.002], z: [1, 2] })).warnings).toEqual([]);
    } finally {
      model.destroy();
    }
    const strict = await wgslModel(overflow, ["x"], {}, true);
    try {
      await expect(strict.forward(feeds)).rejects.toThrow("forward(): non-finite forward value: exp %4[1] = Infinity");
    } finally {
      strict.destroy();
    }
  });
});
