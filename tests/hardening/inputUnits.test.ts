// The pieces behind the CLI's input checks, in process: option words, sizes, the memory estimate
// and its limits (including the ones too slow to reach through the CLI), and tensor binding.

import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { spreadMultiValues } from "../../compiler/cli/load.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { checkLimits, estimateMemory, formatBytes, parseBytes } from "../../compiler/limits.ts";
import { GraphBuilder, SemicError, type Graph } from "../../ir/graph.ts";
import { semiringByName } from "../../ir/semirings/index.ts";
import { bindTensors, WeightsError, type ExpectedTensor } from "../../runtime/weights.ts";
import { ROOT } from "../cliSpawn.ts";

const argv = (...args: string[]) => ["node", "semic", ...args];

describe("several values after --wrt, --config, --aggregate", () => {
  test.each([
    ["--wrt x h w1", "--wrt x --wrt h --wrt w1"],
    ["compile --wrt x model.ts", "compile --wrt x model.ts"],
    ["compile --wrt x,h w1 model.semic -s sumprod", "compile --wrt x,h --wrt w1 model.semic -s sumprod"],
    ["--config hidden=8 classes=4 model.ts", "--config hidden=8 --config classes=4 model.ts"],
    ["--aggregate h:0 emb:1,2 model.ts", "--aggregate h:0 --aggregate emb:1,2 model.ts"],
    ["--wrt x -- y", "--wrt x -- y"],
  ])("%s", (given, want) => {
    expect(spreadMultiValues(argv(...given.split(" ")))).toEqual(argv(...want.split(" ")));
  });
});

describe("sizes", () => {
  test.each([
    ["8G", 8 * 2 ** 30],
    ["512M", 512 * 2 ** 20],
    ["2GiB", 2 * 2 ** 30],
    ["1.5g", 1.5 * 2 ** 30],
    ["1e9", 1e9],
    ["4096", 4096],
  ])("%s", (text, bytes) => expect(parseBytes(text)).toBe(bytes));

  test.each(["", "lots", "-1G", "0", "8X", "G"])("%j is not a size", (text) => expect(parseBytes(text)).toBeUndefined());

  test("formatBytes", () => {
    expect([512, 1536, 64 * 2 ** 20, 4.5 * 2 ** 30].map(formatBytes)).toEqual(["512 B", "1.50 KiB", "64.0 MiB", "4.50 GiB"]);
  });
});

/** x[n] → `depth` relus → sum. */
function chain(depth: number, n = 4): Graph {
  const b = new GraphBuilder("chain");
  let x = b.add("input", [], { name: "x", shape: [n] });
  for (let i = 0; i < depth; i++) x = b.add("relu", [x]);
  return b.build(b.add("sum", [x], { axes: [0] }));
}

describe("the memory estimate", () => {
  test("adjoints scale with the lanes, code with lanes²", () => {
    const g = chain(10, 1000);
    const [k4, k8, k16] = [4, 8, 16].map((k) => estimateMemory(g, [semiringByName("topk", { k })], "f32"));
    expect(k4!.forward).toBe(k8!.forward);
    expect(k8!.adjoints[0]!.bytes).toBe(2 * k4!.adjoints[0]!.bytes);
    // topk has 2k lanes: lanes² goes 64, 256, 1024.
    expect((k16!.code - k8!.code) / (k8!.code - k4!.code)).toBeCloseTo(4, 9);
    expect((k16!.codeHeap - k8!.codeHeap) / (k8!.codeHeap - k4!.codeHeap)).toBeCloseTo(4, 9);
    expect(estimateMemory(g, [semiringByName("sumprod")], "f64").forward).toBe(
      2 * estimateMemory(g, [semiringByName("sumprod")], "f32").forward,
    );
  });

  test("only values on a path from a wrt tensor get adjoints", () => {
    const b = new GraphBuilder("m");
    const x = b.add("input", [], { name: "x", shape: [4] });
    const w = b.add("param", [], { name: "w", shape: [1000, 4] });
    const g = b.build(b.add("sum", [b.add("matmul", [w, x])], { axes: [0] }));
    const sr = [semiringByName("sumprod")];
    expect(estimateMemory(g, sr, "f32", ["w"]).adjoints[0]!.bytes).toBeGreaterThan(1000 * 4 * 4);
    expect(estimateMemory(g, sr, "f32", ["x"]).adjoints[0]!.bytes).toBeLessThan(1000 * 4 * 4);
  });

  test("code too big for the JS heap is refused, with the estimate", () => {
    const g = chain(300);
    expect(() => checkLimits(g, [semiringByName("topk", { k: 64 })], { precision: "f32", target: "js", maxMemory: 2 ** 50 })).toThrow(
      /^model "chain" \(302 nodes, topk\) would generate ≈ [\d.]+ MiB of code, needing ≈ [\d.]+ GiB of JS heap, over Node's heap limit of/,
    );
  });

  test("the wasm memory limit is the js target's only: wgsl is bound by --max-memory", () => {
    const g = chain(2, 2 ** 28);
    const sr = [semiringByName("sumprod")];
    expect(() => checkLimits(g, sr, { precision: "f32", target: "js", maxMemory: 2 ** 50 })).toThrow(
      /one WebAssembly memory of at most 4 GiB/,
    );
    expect(checkLimits(g, sr, { precision: "f32", target: "wgsl", maxMemory: 2 ** 50 }).forward).toBe(3 * 4 * 2 ** 28 + 4);
    expect(() => checkLimits(g, sr, { precision: "f32", target: "wgsl", maxMemory: 2 ** 30 })).toThrow(
      /over the limit of 1.00 GiB \(--max-memory\)/,
    );
  });

  test("the examples pass at their default sizes and BERT at bert-base-like sizes, under 1 GiB", () => {
    const threeSemirings = ["sumprod", "maxprod", "entropy"].map((s) => semiringByName(s));
    const bertBase = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab: 30522 };
    for (const [file, config] of [
      ["mlp.ts", {}],
      ["transformer.ts", {}],
      ["bert.ts", bertBase],
    ] as const) {
      const { graph } = loadModel(join(ROOT, "examples", file), { config });
      for (const precision of ["f32", "f64"] as const) {
        const e = checkLimits(graph, threeSemirings, { precision, target: "js", maxMemory: 2 ** 30 });
        expect(e.total, file).toBeLessThan(2 ** 30);
      }
    }
  });
});

describe("binding weights and inputs", () => {
  const want: ExpectedTensor[] = [{ name: "w", shape: [2, 2], dtype: "f32", kind: "param" }];
  const given = (data: number[], extra: Record<string, number[]> = {}) =>
    new Map<string, { shape: number[]; data: Float32Array }>([
      ["w", { shape: [2, 2], data: Float32Array.from(data) }],
      ...Object.entries(extra).map(([k, v]): [string, { shape: number[]; data: Float32Array }] => [
        k,
        { shape: [v.length], data: Float32Array.from(v) },
      ]),
    ]);
  const bindError = (f: () => unknown): WeightsError => {
    try {
      f();
    } catch (e) {
      if (e instanceof WeightsError) return e;
      throw e;
    }
    throw new Error("no WeightsError");
  };

  test.each([
    [[1, NaN, 3, 4], /^param w: w\[0\]\[1\] is NaN in w\.safetensors; weights and inputs must be finite/],
    [[1, 2, -Infinity, Infinity], /^param w: w\[1\]\[0\] is -Infinity in w\.safetensors \(2 non-finite values in all\)/],
  ])("%j is refused at its first non-finite element", (data, message) => {
    const e = bindError(() => bindTensors(want, given(data), "w.safetensors"));
    expect(e.message).toMatch(message);
    expect(e.tensor).toBe("w");
  });

  test("a tensor of the other file is named as misplaced; a checkpoint (allowExtra) still ignores it", () => {
    const others: ExpectedTensor[] = [{ name: "x", shape: [2], dtype: "f32", kind: "input" }];
    const e = bindError(() => bindTensors(want, given([1, 2, 3, 4], { x: [1, 2], y: [3] }), "p.json", { others }));
    expect(e.message.split("\n")).toEqual([
      "x [2] in p.json is an input of the model: it belongs in the inputs file (--inputs)",
      "unexpected tensors in p.json (the model has no param or input with these names): y [1]",
    ]);
    expect(bindTensors(want, given([1, 2, 3, 4], { x: [1, 2] }), "ckpt.safetensors", { others, allowExtra: true }).ignored).toEqual(["x"]);
  });
});

test("a duplicate name is a SemicError of code E_NAME at the second, naming the first", () => {
  const loc = (line: number) => ({ file: "m.ts", line, col: 3 });
  const b = new GraphBuilder("m");
  const x = b.add("input", [], { name: "x", shape: [2] }, loc(1));
  b.add("name", [x], { label: "h" }, loc(2));
  let err: unknown;
  try {
    b.add("param", [], { name: "h", shape: [2] }, loc(3));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SemicError);
  expect((err as SemicError).code).toBe("E_NAME");
  expect((err as SemicError).message).toBe(
    'm.ts:3:3: param "h": the name is already used by the name at m.ts:2:3 (inputs, params, name() and branch() labels must be unique)',
  );
});
