// Multi-op graphs (fan-out makes ⊕ matter) against brute-force path enumeration for every
// semiring; top paths, branches and aggregation.

import { describe, expect, test } from "vitest";
import { GraphBuilder, type Graph } from "../ir/graph.ts";
import type { OpName } from "../ir/ops/index.ts";
import type { Attrs } from "../ir/ops/rule.ts";
import { semirings, topk } from "../ir/semirings/index.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import { compileAndLoad, expectLanesClose, expectMatchesBruteForce, splitFeeds } from "./oracle/check.ts";
import { bruteForce, numericSemiring, pathsFrom } from "./oracle/paths.ts";
import { randomFeed } from "./oracle/random.ts";
import { scalarize } from "./oracle/scalarize.ts";

const all: Semiring[] = [...Object.values(semirings), topk(3)];

function build(name: string, body: (b: GraphBuilder, op: (o: OpName, xs: number[], attrs?: Attrs) => number) => number): Graph {
  const b = new GraphBuilder(name);
  const op = (o: OpName, xs: number[], attrs: Attrs = {}) => b.add(o, xs, attrs);
  return b.build(body(b, op));
}

const graphs: Record<string, Graph> = {
  diamond: build("diamond", (b, op) => {
    const x = op("input", [], { name: "x", shape: [3] });
    return op("sum", [op("add", [op("sin", [x]), op("mul", [op("exp", [x]), x])])]);
  }),
  reuse: build("reuse", (b, op) => {
    const x = op("input", [], { name: "x", shape: [2, 2] });
    const y = op("mul", [x, x]);
    return op("sum", [op("matmul", [y, x])]);
  }),
  broadcast: build("broadcast", (b, op) => {
    const x = op("input", [], { name: "x", shape: [2, 3] });
    const c = op("input", [], { name: "c", shape: [3] });
    const r = op("relu", [op("sub", [x, c])]);
    return op("sum", [op("div", [r, op("add", [op("exp", [c]), op("constant", [], { shape: [1], values: [1] })])])]);
  }),
  attention: build("attention", (b, op) => {
    const x = op("input", [], { name: "x", shape: [2, 2] });
    const p = (n: string) => op("param", [], { name: n, shape: [2, 2] });
    const q = op("matmul", [op("branch", [x], { label: "query" }), p("wq")]);
    const k = op("matmul", [op("branch", [x], { label: "key" }), p("wk")]);
    const v = op("matmul", [op("branch", [x], { label: "value" }), p("wv")]);
    const att = op("softmax", [op("matmul", [q, op("transpose", [k])])]);
    const h = op("add", [op("branch", [x], { label: "skip" }), op("matmul", [att, v])]);
    return op("pick", [op("log_softmax", [op("sum", [h], { axes: [0] })])], { index: [1] });
  }),
};

describe("multi-op graphs vs brute force", () => {
  const rows = Object.entries(graphs).flatMap(([gname, g]) => all.map((sr) => [`${gname} × ${sr.name}`, g, sr] as const));
  test.each(rows)("%s", async (_label, g, sr) => {
    const feeds = randomFeed(g, 11);
    const wrt = g.nodes.filter((n) => n.op === "input").map((n) => n.attrs["name"] as string);
    await expectMatchesBruteForce(g, feeds, [sr], wrt);
  });
});

describe("top paths", () => {
  const pathProduct = (steps: { weight: number }[]) => steps.reduce((p, s) => p * s.weight, 1);

  test.each(Object.entries(graphs))("maxprod path on %s multiplies to hi, and hi beats every path", async (_n, g) => {
    const feeds = randomFeed(g, 5);
    const { mod } = await compileAndLoad(g, [semirings.maxprod], ["x"]);
    const { params, inputs } = splitFeeds(g, feeds);
    const res = mod.createModel(params).run(inputs).results["maxprod"]!;
    const steps = res.topPath!;
    expect(steps[0]!.tensor).toBe("x");
    expect(steps.at(-1)!.tensor).toMatch(/^%/);
    expect(pathProduct(steps)).toBeCloseTo(res.topPathValue!, 9);
    const sg = scalarize(g, feeds);
    const xNode = g.nodes.find((n) => n.attrs["name"] === "x")!;
    let best = -Infinity;
    for (let e = 0; e < res.wrt["x"]!.value.length; e++)
      for (const p of pathsFrom(sg, g.output, xNode.id, e)) best = Math.max(best, p.reduce((a, w) => a * w, 1));
    expect(res.topPathValue!).toBeCloseTo(best, 9);
  });

  test("topk returns k distinct paths whose products are the k best", async () => {
    const g = graphs["diamond"]!;
    const feeds = randomFeed(g, 3);
    const sr = topk(3);
    const { mod } = await compileAndLoad(g, [sr], ["x"]);
    const res = mod.createModel({}).run(feeds).results["topk"]!;
    const paths = res.topPaths!;
    expect(paths.length).toBe(3);
    const start = paths[0]!.steps[0]!.index;
    const sg = scalarize(g, feeds);
    const all = pathsFrom(sg, g.output, 0, start[0]!).map((p) => p.reduce((a, w) => a * w, 1)).sort((a, b) => b - a);
    paths.forEach((p, r) => {
      expect(pathProduct(p.steps)).toBeCloseTo(all[r]!, 9);
      expect(p.value).toBeCloseTo(all[r]!, 9);
    });
    const keys = paths.map((p) => JSON.stringify(p.steps.map((s) => [s.tensor, s.index])));
    expect(new Set(keys).size).toBe(3);
  });

  test("maxabs path: Σ log|w| equals the reported value", async () => {
    const g = graphs["attention"]!;
    const feeds = randomFeed(g, 8);
    const { mod } = await compileAndLoad(g, [semirings.maxabs], ["x"]);
    const { params, inputs } = splitFeeds(g, feeds);
    const res = mod.createModel(params).run(inputs).results["maxabs"]!;
    const logs = res.topPath!.reduce((s, st) => s + Math.log(Math.abs(st.weight)), 0);
    expect(logs).toBeCloseTo(res.topPathValue!, 9);
  });
});

describe("branches and aggregation", () => {
  test("branch values are each consumer's contribution, and ⊕ of them is the input's adjoint", async () => {
    const g = graphs["attention"]!;
    const feeds = randomFeed(g, 2);
    for (const sr of [semirings.sumprod, semirings.maxprod, semirings.entropy]) {
      const { mod } = await compileAndLoad(g, [sr], ["x"]);
      const { params, inputs } = splitFeeds(g, feeds);
      const res = mod.createModel(params).run(inputs).results[sr.name]!;
      const num = numericSemiring(sr);
      const labels = ["query", "key", "value", "skip"];
      expect(Object.keys(res.branches).sort()).toEqual([...labels].sort());
      for (const label of labels) {
        const node = g.nodes.find((n) => n.attrs["label"] === label)!;
        const want = bruteForce(g, feeds, sr, node.id);
        sr.lanes.forEach((lane, l) => expectLanesClose(res.branches[label]!.lanes[lane]!, want.map((v) => v[l]!), 1e-9, `${sr.name} ${label}`));
      }
      // x feeds only the four branches (program order: query, key, value, skip).
      const x = res.wrt["x"]!;
      for (let i = 0; i < 4; i++) {
        let acc = [...sr.zero];
        for (const label of labels) acc = num.plus(acc, sr.lanes.map((lane) => res.branches[label]!.lanes[lane]![i]!));
        sr.lanes.forEach((lane, l) => expect(x.lanes[lane]![i]).toBeCloseTo(acc[l]!, 9));
      }
    }
  });

  test("aggregation is ⊕ over the chosen axes", async () => {
    const g = graphs["broadcast"]!;
    const feeds = randomFeed(g, 4);
    for (const sr of [semirings.sumprod, semirings.maxprod, semirings.logsum, semirings.entropy]) {
      const { mod } = await compileAndLoad(g, [sr], ["x"]);
      const res = mod.createModel({}).run(feeds, { aggregate: { x: [1] } }).results[sr.name]!;
      const num = numericSemiring(sr);
      const agg = res.aggregated!["x"]!;
      expect(agg.shape).toEqual([2]);
      for (let r = 0; r < 2; r++) {
        let acc = [...sr.zero];
        for (let c = 0; c < 3; c++) acc = num.plus(acc, sr.lanes.map((lane) => res.wrt["x"]!.lanes[lane]![r * 3 + c]!));
        expect(agg.value[r], sr.name).toBeCloseTo(num.readout(acc)[0]!, 9);
      }
    }
  });
});

describe("expansion of composites", () => {
  test("same gradient, different paths, through generated code", async () => {
    const g = graphs["attention"]!;
    const feeds = randomFeed(g, 6);
    const { params, inputs } = splitFeeds(g, feeds);
    const run = async (expand: ("softmax" | "log_softmax")[]) => {
      const { compileGraph, importModule } = await import("../compiler/compile.ts");
      const { js } = compileGraph(g, { semirings: [semirings.sumprod, semirings.count, semirings.maxprod], wrt: ["x"], expand, precision: "f64" });
      return (await importModule(js.js)).createModel(params).run(inputs, { topPath: false }).results;
    };
    const plain = await run([]);
    const expanded = await run(["softmax", "log_softmax"]);
    expectLanesClose(expanded["sumprod"]!.wrt["x"]!.value, plain["sumprod"]!.wrt["x"]!.value, 1e-9, "gradient");
    const paths = (r: typeof plain) => Array.from(r["count"]!.wrt["x"]!.value).reduce((a, b) => a + b, 0);
    expect(paths(expanded)).not.toBe(paths(plain));
  });
});

describe("ties", () => {
  test("the top path takes the first consumer in program order, then the lowest element", async () => {
    const g = build("ties", (b, op) => {
      const x = op("input", [], { name: "x", shape: [1] });
      const first = op("branch", [x], { label: "first" });
      const second = op("branch", [x], { label: "second" });
      const wide = op("add", [op("add", [first, second]), op("constant", [], { shape: [2], values: [0, 0] })]);
      return op("sum", [wide]);
    });
    const { mod } = await compileAndLoad(g, [semirings.maxprod, topk(4)], ["x"]);
    const res = mod.createModel({}).run({ x: [1] }).results;
    const path = res["maxprod"]!.topPath!.map((s) => `${s.tensor}${JSON.stringify(s.index)}`);
    expect(path.slice(1, 2)).toEqual(["first[0]"]);
    expect(path[3]).toBe(`${res["maxprod"]!.topPath![3]!.tensor}[0]`);
    // All four paths tie; topk lists them in the same order: (first, y0), (first, y1), (second, y0), (second, y1).
    const order = res["topk"]!.topPaths!.map((p) => `${p.steps[1]!.tensor}/${p.steps[3]!.index[0]}`);
    expect(order).toEqual(["first/0", "first/1", "second/0", "second/1"]);
  });
});
