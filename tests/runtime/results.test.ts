// Result assembly and the top-path walk of generated modules (runtime/module/{results,paths}.ts),
// on hand-written lane functions and a three-node graph, without compiling anything.

import { describe, expect, test } from "vitest";
import { topPaths, type OutEdge, type PathGraph } from "../../runtime/module/paths.ts";
import { aggregate, ravel, semiringResult, tensorResult, unravel, type Backward, type SemiringLanes } from "../../runtime/module/results.ts";

/** sum-product with two lanes (value, count): readout [value / count]. */
const pair: SemiringLanes = {
  lanes: ["v", "n"],
  zero: [0, 0],
  readout: (v, n) => [v! / n!],
  plus: (v, n, w, m) => [v! + w!, n! + m!],
  paths: null,
  weighted: true,
};

/** max-product with its lane in [hi]: the paths of x[i] → y[0] → z[0] (the output). */
const maxprod: SemiringLanes = {
  lanes: ["hi"],
  zero: [-Infinity],
  readout: (x) => [x!],
  plus: (x, y) => [Math.max(x!, y!)],
  paths: { sense: ["max"], rank: [1], sources: [[[0], [0]]], extend: (w, v) => w * v },
  weighted: true,
};

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe("result assembly", () => {
  test("ravel and unravel are inverse, negative indices count from the end, out of range is an error", () => {
    expect(unravel(5, [2, 3])).toEqual([1, 2]);
    expect(ravel([1, 2], [2, 3])).toBe(5);
    expect(ravel([-1, -1], [2, 3])).toBe(5);
    expect(() => ravel([2, 0], [2, 3])).toThrow("index [2,0] is out of range for shape [2,3]");
  });

  test("a tensor's readouts per element, lanes by name", () => {
    const t = tensorResult(pair, [f32(2, 9), f32(1, 3)], [2]);
    expect(t.shape).toEqual([2]);
    expect([...t.value]).toEqual([2, 3]);
    expect([...t.lanes["n"]!]).toEqual([1, 3]);
    // A readout of k values adds an axis of k.
    const wide = tensorResult({ ...pair, readout: (v, n) => [v!, n!] }, [f32(2, 9), f32(1, 3)], [2]);
    expect(wide.shape).toEqual([2, 2]);
    expect([...wide.value]).toEqual([2, 1, 9, 3]);
  });

  test("⊕ over axes starts from 0̄ and keeps the other axes in order", () => {
    const v = f32(1, 2, 3, 4, 5, 6), n = f32(1, 1, 1, 1, 1, 1);
    const rows = aggregate(pair, [v, n], [2, 3], [1]);
    expect(rows.axes).toEqual([1]);
    expect(rows.shape).toEqual([2]);
    expect([...rows.lanes["v"]!]).toEqual([6, 15]);
    expect([...rows.value]).toEqual([2, 5]);
    expect([...aggregate(pair, [v, n], [2, 3], [-2]).lanes["v"]!]).toEqual([5, 7, 9]);
    expect([...aggregate(pair, [v, n], [2, 3], [0, 1]).lanes["v"]!]).toEqual([21]);
    expect(() => aggregate(pair, [v, n], [2, 3], [2])).toThrow("aggregation axis 2 is out of range for shape [2,3]");
  });
});

// x[2] → y[1] → z[1]: y = 3·x0 + 5·x1 (weights 3 and 5), z = 2·y; max-product adjoints at z, y, x.
const edge = (node: number, op: string, tensor: string, shape: number[], weights: number[]): OutEdge => ({
  node,
  op,
  tensor,
  shape,
  edges: (p, visit) => visit(0, weights[p]!),
});
const graph: PathGraph = {
  wrt: { x: 0 },
  branches: { y: 1 },
  shapes: { 0: [2], 1: [1], 2: [1] },
  names: { 0: "x", 1: "y", 2: "z" },
  ops: { 0: "input", 1: "matmul", 2: "mul" },
  output: 2,
  outEdges: { 0: [edge(1, "matmul", "y", [1], [3, 5])], 1: [edge(2, "mul", "z", [1], [2])] },
};
const backward: Backward = { ...maxprod, adjoints: { 0: [f32(6, 10)], 1: [f32(2)], 2: [f32(1)] } };

describe("top paths", () => {
  test("from the best element of the first wrt tensor, one step per edge, with its weight", () => {
    const [path, ...rest] = topPaths(graph, backward, undefined);
    expect(rest).toEqual([]);
    expect(path!.value).toBe(10);
    expect(path!.steps).toEqual([
      { op: "input", tensor: "x", index: [1], weight: 1 },
      { op: "matmul", tensor: "y", index: [0], weight: 5 },
      { op: "mul", tensor: "z", index: [0], weight: 2 },
    ]);
  });

  test("from a chosen element or branch; an unknown start is an error", () => {
    expect(topPaths(graph, backward, { index: [0] })[0]!.value).toBe(6);
    expect(topPaths(graph, backward, { from: "y" })[0]!.steps.map((s) => s.tensor)).toEqual(["y", "z"]);
    expect(() => topPaths(graph, backward, { from: "w" })).toThrow('no tensor "w" to start a top path from');
  });

  test("run()'s result: readouts, aggregation, the walk only where asked, NaN where a weight is spoiled", () => {
    const walk = (b: Backward, start: Parameters<typeof topPaths>[2]) => topPaths(graph, b, start);
    const full = semiringResult(graph, backward, { aggregate: { x: [0] } }, null, walk);
    expect(Object.keys(full.wrt)).toEqual(["x"]);
    expect([...full.branches["y"]!.value]).toEqual([2]);
    expect([...full.aggregated!["x"]!.value]).toEqual([10]);
    expect(full.topPathValue).toBe(10);
    expect(full.topPath).toHaveLength(3);
    expect(full.topPaths).toBeUndefined();
    expect(semiringResult(graph, backward, { topPath: false }, null, walk).topPath).toBeUndefined();
    expect(semiringResult(graph, backward, {}, null, null).topPath).toBeUndefined();
    // A non-finite weight into y spoils x (upstream of it) but not y itself.
    const spoiled = semiringResult(graph, backward, {}, { message: "", spoiled: new Set([0]) }, walk);
    expect([...spoiled.wrt["x"]!.value].every(Number.isNaN)).toBe(true);
    expect([...spoiled.branches["y"]!.value]).toEqual([2]);
    expect(spoiled.topPath).toEqual([]);
    expect(spoiled.topPathValue).toBeNaN();
    // A semiring whose lift ignores the weight (count) is not spoiled.
    const count = semiringResult(graph, { ...backward, weighted: false }, {}, { message: "", spoiled: new Set([0]) }, walk);
    expect([...count.wrt["x"]!.value]).toEqual([6, 10]);
  });
});
