// Every op's local Jacobian against central finite differences (sum-product reverse mode over
// the scalar graph vs float64 FD), forward values against plain JS, composite expansion, and
// shape errors.

import { describe, expect, test } from "vitest";
import { GraphBuilder, SemicError, type Graph } from "../ir/graph.ts";
import { interpret, type Feeds } from "../ir/interpret.ts";
import { opNames, opRules } from "../ir/ops/index.ts";
import { isLeaf } from "../ir/ops/rule.ts";
import { expandComposites } from "../ir/passes/expand.ts";
import * as S from "../ir/scalar.ts";
import { sizeOf } from "../ir/types.ts";
import { verifyGraph } from "../ir/verify.ts";
import { finiteDiff } from "./oracle/finiteDiff.ts";
import { randomFeed } from "./oracle/random.ts";
import { scalarize } from "./oracle/scalarize.ts";
import { cases, inp, named, op, par, probed, withoutEdges, type Build } from "./oracle/opCases.ts";

// ---------------------------------------------------------------- helpers

/** A graph whose output need not be a scalar, for forward checks only. */
function forwardOf(build: (b: GraphBuilder) => number, feeds: Feeds): number[] {
  const b = new GraphBuilder("f");
  const y = build(b);
  const g: Graph = { name: "f", nodes: [...b.nodes], output: y };
  return Array.from(interpret(g, feeds).values[y]!);
}

/** Sum-product reverse mode over the scalar graph: adj(x) = Σ over out-edges of w·adj(y). */
function reverseGrad(g: Graph, feeds: Feeds): Record<string, Float64Array> {
  const { out } = scalarize(g, feeds);
  const adj = g.nodes.map((n) => new Float64Array(sizeOf(n.type.shape)));
  adj[g.output]![0] = 1;
  for (let id = g.output - 1; id >= 0; id--)
    out[id]!.forEach((edges, e) => (adj[id]![e] = edges.reduce((s, ed) => s + ed.weight * adj[ed.node]![ed.to]!, 0)));
  const grads: Record<string, Float64Array> = {};
  for (const n of g.nodes)
    if (fedFrom(n) && n.type.dtype === "f32") grads[n.attrs["name"] as string] = adj[n.id]!;
  return grads;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what = "") {
  expect(actual.length, what).toBe(expected.length);
  for (let e = 0; e < expected.length; e++) {
    const [a, x] = [actual[e]!, expected[e]!];
    if (!(Math.abs(a - x) <= atol + rtol * Math.abs(x))) expect.fail(`${what}[${e}]: ${a} vs ${x}`);
  }
}

/** Inputs and params: the leaves whose values come from feeds. */
const fedFrom = (n: Graph["nodes"][number]) => opRules[n.op].role === "input" || opRules[n.op].role === "param";

const edgeCount = (g: Graph, feeds: Feeds) =>
  scalarize(g, feeds).out.reduce((n, perNode) => n + perNode.reduce((m, es) => m + es.length, 0), 0);

// ---------------------------------------------------------------- one small graph per op


describe("gradient vs finite differences", () => {
  test("every non-leaf op has a case", () => {
    const leaves = opNames.filter((n) => isLeaf(opRules[n]));
    expect(new Set([...Object.keys(cases), ...leaves])).toEqual(new Set(opNames));
  });

  test.each(named)("%s", (_label, { name, build }) => {
    const g = probed(build);
    verifyGraph(g);
    const feeds = randomFeed(g, 7);
    const hasEdges = g.nodes.some((n) => n.op === name && opRules[name].edges({ xs: n.inputs.map((i) => g.nodes[i]!.type), y: n.type, attrs: n.attrs }).length > 0);
    expect(hasEdges).toBe(!withoutEdges.has(name));
    if (!hasEdges) return;
    const ad = reverseGrad(g, feeds), fd = finiteDiff(g, feeds);
    expect(Object.keys(ad).sort()).toEqual(Object.keys(fd).sort());
    for (const k of Object.keys(fd)) expectClose(ad[k]!, fd[k]!, 1e-6, 1e-6, k);
  });

  test.each(named)("%s: edge sets are well formed", (_label, { build }) => {
    const g = probed(build);
    for (const n of g.nodes) {
      const ctx = { xs: n.inputs.map((i) => g.nodes[i]!.type), y: n.type, attrs: n.attrs };
      const rule = opRules[n.op];
      for (const s of [...rule.forward(ctx), ...rule.edges(ctx)]) {
        const names = s.vars.map((v) => v.name);
        expect(new Set(names).size, `${n.op}: duplicate index var`).toBe(names.length);
        if ("reduce" in s && s.reduce) {
          const idx = s.index.map((i) => (i.k === "var" ? i.name : "?"));
          expect(idx.includes("?") || new Set(idx).size !== idx.length, `${n.op}: reduction index`).toBe(false);
        }
      }
    }
    // Distinct points of an edge set must give distinct (from, to) pairs.
    const { out } = scalarize(g, randomFeed(g, 3));
    for (const perNode of out)
      for (const es of perNode) {
        const keys = es.map((e) => `${e.node}/${e.slot}/${e.to}`);
        expect(new Set(keys).size).toBe(keys.length);
      }
  });
});

// ---------------------------------------------------------------- forward values vs plain JS

const seq = (n: number, f = (k: number) => Math.sin(k + 1) * 2) => Float64Array.from({ length: n }, (_, k) => f(k));

describe("forward values", () => {
  test("softmax is stable and normalised", () => {
    const x = Float64Array.from([1, 2, 3, 1000, 1001, 1002]);
    const y = forwardOf((b) => op(b, "softmax", [inp(b, "x", [2, 3])]), { x });
    const row = [1, 2, 3].map((v) => Math.exp(v - 3));
    const z = row.reduce((a, b) => a + b);
    expectClose(y, [...row, ...row].map((v) => v / z), 1e-12, 0);
    const ly = forwardOf((b) => op(b, "log_softmax", [inp(b, "x", [2, 3])]), { x });
    expectClose(ly, [...row, ...row].map((v) => Math.log(v / z)), 1e-12, 1e-12);
  });

  test("layer_norm", () => {
    const [x, gamma, beta] = [seq(8), seq(4, (k) => 1 + k / 4), seq(4, (k) => k - 1)];
    const y = forwardOf((b) => op(b, "layer_norm", [inp(b, "x", [2, 4]), inp(b, "gamma", [4]), inp(b, "beta", [4])], { eps: 1e-3 }), { x, gamma, beta });
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(x.subarray(4 * r, 4 * r + 4));
      const mu = row.reduce((a, b) => a + b) / 4;
      const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / 4;
      row.forEach((e, i) => want.push(((e - mu) / Math.sqrt(v + 1e-3)) * gamma[i]! + beta[i]!));
    }
    expectClose(y, want, 1e-12, 1e-12);
  });

  /** Plain matmul of a [m,k] and b [k,n], row-major. */
  const mm = (a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, ao = 0, bo = 0) =>
    Array.from({ length: m * n }, (_, e) => {
      let s = 0;
      for (let j = 0; j < k; j++) s += a[ao + Math.floor(e / n) * k + j]! * b[bo + j * n + (e % n)]!;
      return s;
    });

  test.each([
    { label: "batched × batched", as: [2, 2, 3], bs: [2, 3, 4], want: (a: Float64Array, b: Float64Array) => [...mm(a, b, 2, 3, 4), ...mm(a, b, 2, 3, 4, 6, 12)] },
    { label: "batched × shared", as: [2, 2, 3], bs: [3, 4], want: (a: Float64Array, b: Float64Array) => [...mm(a, b, 2, 3, 4), ...mm(a, b, 2, 3, 4, 6, 0)] },
    { label: "vector × matrix", as: [3], bs: [3, 4], want: (a: Float64Array, b: Float64Array) => mm(a, b, 1, 3, 4) },
    { label: "matrix × vector", as: [2, 3], bs: [3], want: (a: Float64Array, b: Float64Array) => mm(a, b, 2, 3, 1) },
    { label: "vector × vector", as: [3], bs: [3], want: (a: Float64Array, b: Float64Array) => mm(a, b, 1, 3, 1) },
  ])("matmul $label", ({ as, bs, want }) => {
    const [a, b] = [seq(sizeOf(as)), seq(sizeOf(bs), (k) => k - 2)];
    expectClose(forwardOf((g) => op(g, "matmul", [inp(g, "a", as), inp(g, "b", bs)]), { a, b }), want(a, b), 1e-12, 1e-12);
  });

  test("linear = x·wᵀ + b", () => {
    const [x, w, bias] = [seq(6), seq(12, (k) => k / 5), seq(4)];
    const y = forwardOf((b) => op(b, "linear", [inp(b, "x", [2, 3]), inp(b, "w", [4, 3]), inp(b, "b", [4])]), { x, w, b: bias });
    const want = Array.from({ length: 8 }, (_, e) => {
      const [r, o] = [Math.floor(e / 4), e % 4];
      return [0, 1, 2].reduce((s, k) => s + x[3 * r + k]! * w[3 * o + k]!, bias[o]!);
    });
    expectClose(y, want, 1e-12, 1e-12);
  });

  test("gather", () => {
    const table = seq(15);
    const y = forwardOf((b) => op(b, "gather", [inp(b, "table", [5, 3]), inp(b, "ids", [2, 2], "i32")]), { table, ids: [4, 0, 2, 4] });
    expect(y).toEqual([4, 0, 2, 4].flatMap((r) => Array.from(table.subarray(3 * r, 3 * r + 3))));
  });

  test("concat, slice, transpose, reshape move elements", () => {
    const x = seq(6, (k) => k), z = seq(4, (k) => 10 + k);
    expect(forwardOf((b) => op(b, "concat", [inp(b, "x", [2, 3]), inp(b, "z", [2, 2])], { axis: 1 }), { x, z }))
      .toEqual([0, 1, 2, 10, 11, 3, 4, 5, 12, 13]);
    expect(forwardOf((b) => op(b, "concat", [inp(b, "x", [2, 3]), inp(b, "z", [2, 3])], { axis: 0 }), { x, z: x }))
      .toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect(forwardOf((b) => op(b, "slice", [inp(b, "x", [2, 3])], { axis: -1, start: -2, end: 3 }), { x })).toEqual([1, 2, 4, 5]);
    expect(forwardOf((b) => op(b, "transpose", [inp(b, "x", [2, 3])]), { x })).toEqual([0, 3, 1, 4, 2, 5]);
    const x24 = seq(24, (k) => k);
    const t = forwardOf((b) => op(b, "transpose", [inp(b, "x", [2, 3, 4])], { perm: [1, 2, 0] }), { x: x24 });
    expect(t).toEqual(Array.from({ length: 24 }, (_, e) => x24[Math.floor(e / 8) * 4 + (Math.floor(e / 2) % 4) + (e % 2) * 12]));
    for (const shape of [[4, 6], [3, 8], [2, 3, 4], [24], [1, 24, 1], [6, -1]])
      expect(forwardOf((b) => op(b, "reshape", [inp(b, "x", [2, 3, 4])], { shape }), { x: x24 })).toEqual(Array.from(x24));
    expect(forwardOf((b) => op(b, "pick", [inp(b, "x", [2, 3])], { index: [-1, 0] }), { x })).toEqual([3]);
  });

  test("gelu forms", () => {
    const x = seq(6);
    const erf = forwardOf((b) => op(b, "gelu", [inp(b, "x", [6])], { approximate: "erf" }), { x });
    const tanh = forwardOf((b) => op(b, "gelu", [inp(b, "x", [6])], { approximate: "tanh" }), { x });
    expectClose(erf, Array.from(x, (v) => 0.5 * v * (1 + S.erfApprox(v / Math.SQRT2))), 1e-12, 1e-12);
    expectClose(tanh, Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-12, 1e-12);
    expectClose(erf, tanh, 0, 1e-3, "the two forms agree closely");
  });
});

// ---------------------------------------------------------------- expansion of composites

describe("expandComposites", () => {
  const chains: Record<string, Build> = {
    softmax: (b) => op(b, "softmax", [inp(b, "x", [2, 4])]),
    log_softmax: (b) => op(b, "log_softmax", [inp(b, "x", [3])]),
    layer_norm: (b) => op(b, "layer_norm", [inp(b, "x", [2, 4]), par(b, "gamma", [4]), par(b, "beta", [4])], { eps: 1e-5 }),
    "layer_norm → softmax → log_softmax": (b) => {
      const h = op(b, "layer_norm", [inp(b, "x", [2, 3]), par(b, "gamma", [3]), par(b, "beta", [3])], { eps: 1e-5 });
      return op(b, "log_softmax", [op(b, "mul", [op(b, "softmax", [h]), h])]);
    },
  };

  test.each(Object.keys(chains))("%s: same values and gradient, different paths", (label) => {
    const g = probed(chains[label]!);
    const e = expandComposites(g, ["softmax", "log_softmax", "layer_norm"]);
    verifyGraph(e);
    expect(e.nodes.some((n) => n.op === "softmax" || n.op === "log_softmax" || n.op === "layer_norm")).toBe(false);
    const feeds = randomFeed(g, 11);
    expectClose(interpret(e, feeds).values[e.output]!, interpret(g, feeds).values[g.output]!, 1e-9, 1e-9);
    const [ge, gc] = [reverseGrad(e, feeds), reverseGrad(g, feeds)];
    for (const k of Object.keys(gc)) expectClose(ge[k]!, gc[k]!, 1e-9, 1e-9, k);
    expect(edgeCount(e, feeds)).not.toBe(edgeCount(g, feeds));
  });

  test("expands only the composites asked for", () => {
    const g = probed(chains["layer_norm → softmax → log_softmax"]!);
    const e = expandComposites(g, ["softmax"]);
    expect(e.nodes.map((n) => n.op).filter((o) => o === "softmax" || o === "log_softmax" || o === "layer_norm"))
      .toEqual(["layer_norm", "log_softmax"]);
  });
});

// ---------------------------------------------------------------- shape errors

describe("shape errors", () => {
  const fails = (build: Build): string => {
    try {
      build(new GraphBuilder("e"));
    } catch (e) {
      expect(e).toBeInstanceOf(SemicError);
      expect((e as SemicError).code).toBe("E_SHAPE");
      return (e as Error).message;
    }
    return expect.fail("no shape error");
  };

  test.each([
    { label: "matmul", build: (b: GraphBuilder) => op(b, "matmul", [inp(b, "a", [2, 3]), inp(b, "b", [4, 5])]), has: ["[2,3]", "[4,5]"] },
    { label: "linear", build: (b: GraphBuilder) => op(b, "linear", [inp(b, "x", [2, 3]), inp(b, "w", [4, 5])]), has: ["f32[2,3]", "f32[4,5]"] },
    { label: "linear arity", build: (b: GraphBuilder) => { const x = inp(b, "x", [3]); return op(b, "linear", [x, inp(b, "w", [3, 3]), inp(b, "b", [3]), x]); }, has: ["4 operands"] },
    { label: "reshape", build: (b: GraphBuilder) => op(b, "reshape", [inp(b, "x", [2, 3])], { shape: [4] }), has: ["[2,3]", "[4]"] },
    { label: "slice", build: (b: GraphBuilder) => op(b, "slice", [inp(b, "x", [2, 3])], { axis: 1, start: 2, end: 1 }), has: ["empty", "[2,3]"] },
    { label: "concat", build: (b: GraphBuilder) => op(b, "concat", [inp(b, "a", [2, 3]), inp(b, "b", [3, 3])], { axis: 1 }), has: ["f32[2,3]", "f32[3,3]"] },
    { label: "transpose", build: (b: GraphBuilder) => op(b, "transpose", [inp(b, "x", [2, 3])], { perm: [0, 0] }), has: ["permutation"] },
    { label: "pick", build: (b: GraphBuilder) => op(b, "pick", [inp(b, "x", [2, 3])], { index: [2, 0] }), has: ["[2,0]", "[2,3]"] },
    { label: "gather", build: (b: GraphBuilder) => op(b, "gather", [inp(b, "t", [5, 3]), inp(b, "ids", [2])]), has: ["i32", "f32[2]"] },
    { label: "layer_norm", build: (b: GraphBuilder) => op(b, "layer_norm", [inp(b, "x", [2, 4]), inp(b, "g", [3]), inp(b, "b", [4])], { eps: 1e-5 }), has: ["gamma", "f32[3]"] },
    { label: "softmax", build: (b: GraphBuilder) => op(b, "softmax", [inp(b, "x", [])]), has: ["f32[]"] },
    { label: "gelu", build: (b: GraphBuilder) => op(b, "gelu", [inp(b, "x", [2])], { approximate: "fast" }), has: ["fast"] },
  ])("$label", ({ build, has }) => {
    const msg = fails(build);
    for (const h of has) expect(msg).toContain(h);
  });
});
