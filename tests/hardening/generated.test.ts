// What generated modules do with what they are given: argument checks (types, lengths, integer ids
// in range, option names and indices), and non-finite forward values (where the first appears,
// warning or error, and the rule that every readout depending on one is NaN). The run-time files
// are tested as units, then through generated JS modules with and without WebAssembly kernels.

import { describe, expect, test } from "vitest";
import { buildBackward, defaultWrt } from "../../compiler/backward.ts";
import { renderJsModule } from "../../compiler/backends/js/module.ts";
import { idRanges, valueInfos } from "../../compiler/backends/moduleSpecs.ts";
import { importModule, type GeneratedModel } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import type { Attrs } from "../../ir/ops/rule.ts";
import { semirings, topk } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { checkRunOptions, checkTensor, checkTensors, type OptionSpace } from "../../runtime/module/args.ts";
import { firstNonFinite, scanForward, type ScanCache, type ValueInfo } from "../../runtime/module/finite.ts";

function build(name: string, body: (op: (o: OpName, xs: number[], attrs?: Attrs) => number) => number): Graph {
  const b = new GraphBuilder(name);
  return b.build(body((o, xs, attrs = {}) => b.add(o, xs, attrs)));
}

const everySemiring: Semiring[] = [...Object.values(semirings), topk(2)];

async function moduleOf(g: Graph, wrt: string[], opts: { wasm?: boolean; strict?: boolean } = {}): Promise<{ createModel: (p: unknown) => GeneratedModel }> {
  const { js } = renderJsModule(buildBackward(g, wrt), everySemiring, { precision: "f64", threads: false, ...opts });
  return (await importModule(js)) as unknown as { createModel: (p: unknown) => GeneratedModel };
}

describe("argument checks (runtime/module/args.ts)", () => {
  const x = { name: "x", shape: [2, 2], dtype: "f32" } as const;
  const ids = { name: "ids", shape: [4], dtype: "i32", ids: [{ rows: 10, op: "gather(emb [10,3])" }] } as const;

  test.each([
    [null, 'run(): input "x" must be an array of 4 numbers (shape [2,2]), got null'],
    ["abcd", 'run(): input "x" must be an array of 4 numbers (shape [2,2]), got the string "abcd"'],
    [{ length: 4 }, 'run(): input "x" must be an array of 4 numbers (shape [2,2]), got an object'],
    [[1, 2, 3], 'run(): input "x" must be an array of 4 numbers (shape [2,2]), got an array of 3'],
    [new Float32Array(5), 'run(): input "x" must be an array of 4 numbers (shape [2,2]), got a Float32Array of 5'],
    [new BigInt64Array(4), 'run(): input "x" must be an array of 4 numbers (shape [2,2]), got a BigInt64Array of 4'],
    [[1, 2, "3", 4], 'run(): input x[1,0] must be a number, got the string "3"'],
    [[1, null, 3, 4], "run(): input x[0,1] must be a number, got null"],
  ])("f32 case %#", (given, message) => {
    expect(() => checkTensor("run()", "input", given, x)).toThrow(message);
  });

  test("f32 accepts arrays and typed arrays, NaN included (the forward scan reports it)", () => {
    expect(checkTensor("run()", "input", [1, NaN, Infinity, 4], x)).toEqual([1, NaN, Infinity, 4]);
    expect(checkTensor("run()", "input", new Float64Array(4), x)).toBeInstanceOf(Float64Array);
  });

  test.each([
    [[1, 2, 10, 3], "run(): input ids[2] = 10 is out of range for gather(emb [10,3]): ids must be in [0, 10)"],
    [[1, -1, 0, 3], "run(): input ids[1] = -1 is out of range for gather(emb [10,3]): ids must be in [0, 10)"],
    [[1, 2.5, 0, 3], "run(): input ids[1] = 2.5 is not an integer id"],
    [[1, NaN, 0, 3], "run(): input ids[1] = NaN is not an integer id"],
    [[1, "2", 0, 3], 'run(): input ids[1] = the string "2" is not an integer id'],
    [[2 ** 31, 0, 0, 0], "run(): input ids[0] = 2147483648 is not an integer id"],
    [new Float64Array([0, 0, 0, 0.5]), "run(): input ids[3] = 0.5 is not an integer id"],
  ])("i32 %j", (given, message) => {
    expect(() => checkTensor("run()", "input", given, ids)).toThrow(message);
  });

  test("a range that covers some elements only checks those", () => {
    const some = { ...ids, ids: [{ rows: 3, op: "gather(t [3,2])", elements: [0, 2] }] };
    expect(checkTensor("run()", "input", [2, 99, 0, -5], some)).toEqual([2, 99, 0, -5]);
    expect(() => checkTensor("run()", "input", [2, 0, 3, 0], some)).toThrow("input ids[2] = 3 is out of range for gather(t [3,2]): ids must be in [0, 3)");
  });

  test("the object of tensors", () => {
    expect(() => checkTensors("createModel()", "parameter", null, [x])).toThrow("createModel(): params must be an object of arrays by name (x), got null");
    expect(() => checkTensors("createModel()", "parameter", [[1, 2, 3, 4]], [x])).toThrow("params must be an object of arrays by name (x), got an array of 1");
    expect(() => checkTensors("run()", "input", {}, [x])).toThrow('run(): missing input "x" (f32[2,2], 4 values)');
    expect(() => checkTensors("run()", "input", { x: undefined }, [x])).toThrow('run(): missing input "x"');
    expect(checkTensors("run()", "input", { x: [1, 2, 3, 4], extra: 1 }, [x])).toEqual({ x: [1, 2, 3, 4] });
  });

  const space: OptionSpace = { semirings: ["sumprod", "maxprod"], wrt: { x: [2, 3] }, branches: { skip: [4] } };
  test.each([
    [null, "run(): options must be an object, got null"],
    [{ semiring: ["sumprod"] }, 'run(): unknown option "semiring" (valid: semirings, wrt, aggregate, topPath, strict)'],
    [{ semirings: "sumprod" }, 'run(): options.semirings must be an array of names (sumprod, maxprod), got the string "sumprod"'],
    [{ semirings: ["maxprd"] }, 'run(): options.semirings[0] = "maxprd" is not a semiring compiled into this module (compiled: sumprod, maxprod)'],
    [{ wrt: ["y"] }, 'run(): options.wrt[0] = "y" is not a wrt tensor of this module (compiled: x)'],
    [{ aggregate: { y: [0] } }, 'run(): cannot aggregate "y": not a wrt tensor or branch of this module (valid: skip, x)'],
    [{ aggregate: { x: [0.5] } }, "run(): options.aggregate.x[0] = 0.5 must be an integer in [-2, 2)"],
    [{ aggregate: { x: [2] } }, "run(): options.aggregate.x[0] = 2 must be an integer in [-2, 2)"],
    [{ topPath: true }, "run(): options.topPath must be false or { from?, index? }, got true"],
    [{ topPath: { start: "x" } }, "run(): unknown option topPath.start (valid: from, index)"],
    [{ topPath: { from: "h" } }, 'run(): options.topPath.from = "h" is not a wrt tensor or branch of this module (valid: skip, x)'],
    [{ topPath: { index: [1] } }, "run(): options.topPath.index must be 2 integer(s) for x[2,3], got an array of 1"],
    [{ topPath: { index: [1, 0.5] } }, "run(): options.topPath.index[1] = 0.5 must be an integer in [-3, 3)"],
    [{ topPath: { from: "skip", index: [4] } }, "run(): options.topPath.index[0] = 4 must be an integer in [-4, 4)"],
    [{ strict: "yes" }, 'run(): options.strict must be true or false, got the string "yes"'],
  ])("options %j", (given, message) => {
    expect(() => checkRunOptions("run()", given, space)).toThrow(message);
  });

  test("valid options pass", () => {
    expect(() => checkRunOptions("run()", { semirings: ["maxprod"], wrt: ["x"], aggregate: { x: [-1], skip: [0] }, topPath: { from: "skip", index: [-1] }, strict: true }, space)).not.toThrow();
    expect(() => checkRunOptions("run()", { topPath: false }, space)).not.toThrow();
    expect(() => checkRunOptions("run()", undefined, space)).not.toThrow();
  });
});

describe("non-finite forward values (runtime/module/finite.ts)", () => {
  test("firstNonFinite", () => {
    expect(firstNonFinite(new Float32Array([1, 2, 3]))).toBe(-1);
    expect(firstNonFinite([0, -Infinity, NaN])).toBe(1);
    expect(firstNonFinite([NaN])).toBe(0);
    expect(firstNonFinite(new Float32Array([3.4e38, -3.4e38]))).toBe(-1);
  });

  // %0 x, %1 z → %2 = log z, %3 = relu %2, %4 = mul x x, %5 = add %3 %4; with the tensors each
  // edge set's weight reads (log: 1/z; relu: step(%2); mul: the other operand; add: constant 1).
  const infos: ValueInfo[] = [
    { node: 0, op: "input", tensor: "x", shape: [2], edges: [] },
    { node: 1, op: "input", tensor: "z", shape: [2], edges: [] },
    { node: 2, op: "log", tensor: "%2", shape: [2], edges: [[1, [1]]], loc: "m.ts:3:9" },
    { node: 3, op: "relu", tensor: "%3", shape: [2], edges: [[2, [2]]] },
    { node: 4, op: "mul", tensor: "%4", shape: [2], edges: [[0, [0]]] },
    { node: 5, op: "add", tensor: "%5", shape: [2], edges: [[3, []], [4, []]] },
  ];
  test("all finite: null", () => {
    expect(scanForward([[1, 2], [1, 1], [0, 0], [0, 0], [1, 4], [1, 4]], infos)).toBeNull();
  });
  test("the first in program order, and what it spoils", () => {
    const nf = scanForward([[1, 2], [1, 0], [0, -Infinity], [0, 0], [1, 4], [1, 4]], infos)!;
    expect(nf.message).toBe(
      "non-finite forward value: log %2[1] = -Infinity at m.ts:3:9 (the first in program order); every readout that depends on it is NaN",
    );
    // log and relu touch −∞: z and %2 are upstream of them; x reaches the output around them.
    expect([...nf.spoiled].sort()).toEqual([1, 2]);
  });
  test("a NaN input spoils the tensors with paths through edges whose weights read it", () => {
    const nf = scanForward([[NaN, 2], [1, 1], [0, 0], [0, 0], [NaN, 4], [NaN, 4]], infos)!;
    expect(nf.message).toContain("input x[0] = NaN");
    // mul's weights read x; add's are constant, so %4 and %5 holding NaN spoil nothing more.
    expect([...nf.spoiled]).toEqual([0]);
  });
  test("an alias is as bad as the node whose buffer it shares", () => {
    const named: ValueInfo[] = [
      { node: 0, op: "input", tensor: "x", shape: [1], edges: [] },
      { node: 1, op: "exp", tensor: "%1", shape: [1], edges: [[0, [1]]] },
      { node: 2, op: "name", tensor: "h", shape: [1], alias: 1, edges: [[1, []]] },
      { node: 3, op: "exp", tensor: "%3", shape: [1], edges: [[2, [3]]] },
    ];
    expect([...scanForward([[1], [Infinity], null, [Infinity]], named)!.spoiled].sort()).toEqual([0, 1, 2]);
  });
  test("fixed buffers (params) are scanned once per cache", () => {
    const fixed: ValueInfo[] = [{ node: 0, op: "param", tensor: "w", shape: [2], fixed: true, edges: [] }];
    const cache: ScanCache = [];
    expect(scanForward([[1, 2]], fixed, cache)).toBeNull();
    // The cache answers from now on: the params of a model do not change between runs.
    expect(scanForward([[1, NaN]], fixed, cache)).toBeNull();
    expect(scanForward([[1, NaN]], fixed)!.message).toContain("param w[1] = NaN");
  });
  test("integer buffers (null) are skipped", () => {
    expect(scanForward([null, [1, 1]], infos.slice(0, 2))).toBeNull();
  });
});

describe("which tensors each edge set's weight reads", () => {
  test("mul reads the other operand, sum reads nothing, exp reads its output, name shares a buffer", () => {
    const g = build("reads", (op) => {
      const x = op("input", [], { name: "x", shape: [2] });
      const w = op("input", [], { name: "w", shape: [2] });
      return op("sum", [op("name", [op("exp", [op("mul", [x, w])])], { label: "h" })]);
    });
    const infos = valueInfos(buildBackward(g, ["x", "w"]));
    expect(infos.map((v) => [v.op, v.edges, v.alias ?? null])).toEqual([
      ["input", [], null],
      ["input", [], null],
      ["mul", [[0, [1]], [1, [0]]], null],
      ["exp", [[2, [3]]], null],
      ["name", [[3, []]], 3],
      ["sum", [[4, []]], null],
    ]);
  });
});

describe("gather ids: which input elements index which table", () => {
  test("through a reshape: every element", () => {
    const g = build("r", (op) => {
      const ids = op("reshape", [op("input", [], { name: "ids", shape: [2, 3], dtype: "i32" })], { shape: [6] });
      return op("sum", [op("gather", [op("param", [], { name: "table", shape: [4, 2] }), ids])]);
    });
    expect(idRanges(g).get("ids")).toEqual([{ rows: 4, op: "gather(table [4,2])" }]);
  });

  test("sliced into two tables: each element against its own, tightest first", () => {
    const g = build("s", (op) => {
      const ids = op("input", [], { name: "ids", shape: [4], dtype: "i32" });
      const a = op("gather", [op("param", [], { name: "big", shape: [9, 2] }), op("slice", [ids], { axis: 0, start: 0, end: 3 })]);
      const b = op("gather", [op("param", [], { name: "small", shape: [2, 2] }), op("slice", [ids], { axis: 0, start: 2, end: 4 })]);
      return op("add", [op("sum", [a]), op("sum", [b])]);
    });
    expect(idRanges(g).get("ids")).toEqual([
      { rows: 2, op: "gather(small [2,2])", elements: [2, 3] },
      { rows: 9, op: "gather(big [9,2])", elements: [0, 1, 2] },
    ]);
  });
});

// ids [3] → gather(table [5,4]) · x [3,4] → sum: one table row per id.
const embed = build("embed", (op) => {
  const e = op("gather", [op("param", [], { name: "table", shape: [5, 4] }), op("input", [], { name: "ids", shape: [3], dtype: "i32" })]);
  return op("sum", [op("mul", [e, op("input", [], { name: "x", shape: [3, 4] })])]);
});
const table = Array.from({ length: 20 }, (_, i) => i / 10);
const x = Array.from({ length: 12 }, (_, i) => 1 + i / 12);

describe.each([
  ["JS loops", false],
  ["WebAssembly kernels", true],
])("generated module (%s)", (_label, wasm) => {
  test("ids out of range are errors naming the input, element, value and range; valid ids run", async () => {
    const model = (await moduleOf(embed, ["x"], { wasm })).createModel({ table });
    const good = model.run({ ids: [0, 4, 2], x }, { semirings: ["sumprod"] });
    expect(Array.from(good.results["sumprod"]!.wrt["x"]!.value.slice(4, 8))).toEqual(table.slice(16, 20).map((v) => expect.closeTo(v, 12)));
    const range = "is out of range for gather(table [5,4]): ids must be in [0, 5)";
    expect(() => model.run({ ids: [0, 5, 2], x })).toThrow(`run(): input ids[1] = 5 ${range}`);
    expect(() => model.run({ ids: [-1, 0, 2], x })).toThrow(`run(): input ids[0] = -1 ${range}`);
    expect(() => model.forward({ ids: [0, 0, 2 ** 20], x })).toThrow(`forward(): input ids[2] = 1048576 ${range}`);
    expect(() => model.run({ ids: [0, 1.5, 2], x })).toThrow("run(): input ids[1] = 1.5 is not an integer id");
    // A refused run leaves the model usable, with the same answer as before.
    expect(model.run({ ids: [0, 4, 2], x }, { semirings: ["sumprod"] }).output).toBe(good.output);
  });

  test("params, inputs and options are checked before anything runs", async () => {
    const mod = await moduleOf(embed, ["x"], { wasm });
    expect(() => mod.createModel({ table: table.slice(1) })).toThrow('createModel(): parameter "table" must be an array of 20 numbers (shape [5,4]), got an array of 19');
    expect(() => mod.createModel({ table: table.map(String) })).toThrow('createModel(): parameter table[0,0] must be a number, got the string "0"');
    const model = mod.createModel({ table });
    expect(() => model.run({ ids: [0, 1, 2], x: null } as never)).toThrow('run(): input "x" must be an array of 12 numbers (shape [3,4]), got null');
    expect(() => model.run({ ids: [0, 1, 2], x }, { semirings: ["gradient"] })).toThrow('options.semirings[0] = "gradient" is not a semiring compiled into');
    expect(() => model.run({ ids: [0, 1, 2], x }, { topPath: { from: "x", index: [0, 0.5] } })).toThrow("options.topPath.index[1] = 0.5 must be an integer in [-4, 4)");
    expect(() => model.backward("nope")).toThrow('backward(): semiring "nope" was not compiled into this module');
    const paths = model.run({ ids: [0, 1, 2], x }, { semirings: ["maxprod"], topPath: { from: "x", index: [1, 2] } }).results["maxprod"]!;
    expect(paths.topPath![0]!.index).toEqual([1, 2]);
  });
});

// exp(1000·x) overflows for x = 1; z feeds a log that −∞ at 0, masked by a relu.
const overflow = build("overflow", (op) => {
  const x = op("input", [], { name: "x", shape: [3] });
  const z = op("input", [], { name: "z", shape: [2] });
  const big = op("exp", [op("mul", [x, op("constant", [], { shape: [1], values: [1000] })])]);
  const masked = op("sum", [op("relu", [op("log", [z])])]);
  return op("add", [op("sum", [big]), masked]);
});
const masked = build("masked", (op) => {
  const x = op("input", [], { name: "x", shape: [3] });
  const z = op("input", [], { name: "z", shape: [2] });
  const masked = op("sum", [op("relu", [op("log", [z])])]);
  return op("add", [op("sum", [op("mul", [x, x])]), masked]);
});

describe("non-finite forward values in generated modules", () => {
  test("a warning naming op, tensor and element; every weighted semiring reads NaN at every dependent tensor", async () => {
    const model = (await moduleOf(overflow, ["x", "z"])).createModel({});
    const r = model.run({ x: [0, 1, 0.5], z: [1, 2] });
    expect(r.warnings).toEqual([
      "non-finite forward value: exp %4[1] = Infinity (the first in program order); every readout that depends on it is NaN",
    ]);
    for (const [name, res] of Object.entries(r.results)) {
      if (name === "count") continue;
      expect(res.wrt["x"]!.value.every(Number.isNaN), name).toBe(true);
      if (res.topPath) expect(res.topPath, name).toEqual([]);
    }
    // count's lift ignores weights: one path from each x (exp, then sum, then add).
    expect(Array.from(r.results["count"]!.wrt["x"]!.value)).toEqual([1, 1, 1]);
    const ok = model.run({ x: [0, 0.001, 0.002], z: [1, 2] });
    expect(ok.warnings).toEqual([]);
    expect(Number.isFinite(ok.results["sumprod"]!.wrt["x"]!.value[1])).toBe(true);
  });

  test("readouts that do not depend on it keep their values", async () => {
    const model = (await moduleOf(masked, ["x", "z"])).createModel({});
    const r = model.run({ x: [1, 2, 3], z: [0, 2] });
    expect(r.warnings[0]).toMatch(/^non-finite forward value: log %\d+\[0\] = -Infinity/);
    const sum = r.results["sumprod"]!;
    expect(Array.from(sum.wrt["x"]!.value)).toEqual([2, 4, 6]);
    for (const [name, res] of Object.entries(r.results)) {
      expect(res.wrt["z"]!.value.every(Number.isNaN), name).toBe(name !== "count");
      expect(res.wrt["x"]!.value.some(Number.isNaN), name).toBe(false);
    }
  });

  test("strict: an error, from the run option or the compile option", async () => {
    const message = "run(): non-finite forward value: exp %4[1] = Infinity";
    const loose = (await moduleOf(overflow, ["x"])).createModel({});
    expect(() => loose.run({ x: [0, 1, 0.5], z: [1, 2] }, { strict: true })).toThrow(message);
    const strict = (await moduleOf(overflow, ["x"], { strict: true })).createModel({});
    expect(() => strict.run({ x: [0, 1, 0.5], z: [1, 2] })).toThrow(message);
    expect(() => strict.forward({ x: [0, 1, 0.5], z: [1, 2] })).toThrow("forward(): non-finite forward value");
    expect(strict.run({ x: [0, 1, 0.5], z: [1, 2] }, { strict: false }).warnings).toHaveLength(1);
  });

  const weighted = build("nanw", (op) => op("sum", [op("mul", [op("input", [], { name: "x", shape: [2] }), op("param", [], { name: "w", shape: [2] })])]));
  test("a NaN parameter is reported where it is, on every run", async () => {
    const model = (await moduleOf(weighted, ["x"])).createModel({ w: [1, NaN] });
    for (let i = 0; i < 2; i++) {
      const r = model.run({ x: [1, 1] });
      expect(r.warnings[0]).toContain("param w[1] = NaN");
      expect(Array.from(r.results["maxprod"]!.wrt["x"]!.value)).toEqual([NaN, NaN]);
    }
  });
  test("a parameter that is finite in float64 but not as the f32 the module stores", async () => {
    const { js } = renderJsModule(buildBackward(weighted, ["x"]), [semirings.sumprod], { precision: "f32", threads: false });
    const mod = (await importModule(js)) as unknown as { createModel: (p: unknown) => GeneratedModel };
    expect(mod.createModel({ w: [1, 1e39] }).run({ x: [1, 1] }).warnings[0]).toContain("param w[1] = Infinity");
  });

  // The MLP has WebAssembly kernels, so its scan runs all_finite (SIMD, 16 bytes a step) first;
  // 37 hidden units leave a partial last step in b1.
  test.each(["f32", "f64"] as const)("the WebAssembly fast path finds every position (%s)", async (precision) => {
    const g = loadModel("examples/mlp.ts", { config: { hidden: 37 } }).graph;
    const { js } = renderJsModule(buildBackward(g, defaultWrt(g)), [semirings.sumprod], { precision, threads: false });
    expect(js).toContain("const wasmKernels = {");
    const mod = (await importModule(js)) as unknown as { createModel: (p: unknown) => GeneratedModel };
    const params = { w1: new Array<number>(148).fill(0.1), b1: new Array<number>(37).fill(0), w2: new Array<number>(111).fill(0.1), b2: [0, 0, 0] };
    expect(mod.createModel(params).run({ x: [1, 2, 3, 4] }).warnings).toEqual([]);
    for (const [name, at, index] of [["w1", 0, "[0,0]"], ["w1", 147, "[36,3]"], ["b1", 35, "[35]"], ["b1", 36, "[36]"]] as const) {
      const bad = { ...params, [name]: params[name].map((v, i) => (i === at ? NaN : v)) };
      expect(mod.createModel(bad).run({ x: [1, 2, 3, 4] }).warnings[0]).toContain(`param ${name}${index} = NaN`);
    }
    const x = precision === "f32" ? [1, 2, 3, 1e39] : [1, 2, 3, Infinity];
    expect(mod.createModel(params).run({ x }).warnings[0]).toContain("input x[3] = Infinity");
  });
});
