// Branch views (oplus, bucket_sum, sum) on PAPER.md's worked example B, on random integer weights
// (ties included) against a direct loop over the weights, and semic's ⊕ per token against the
// generated module's own aggregation.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { loadModel } from "../../compiler/frontend/index.ts";
import {
  branchPoints,
  branchViewsJson,
  computeBranchViews,
  parseBranchViews,
  plusOnReadout,
  viewsFor,
  type BranchViewName,
} from "../../compiler/study/views.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { compileAndLoad, expectLanesClose } from "../oracle/check.ts";
import { rng } from "../oracle/random.ts";

const ALL: BranchViewName[] = ["oplus", "bucket_sum", "sum"];
const { entropy, maxabs, maxprod, sumprod } = semirings;

/** Three element-wise consumers of x, named Q, K, S; output = the sum of all three (example B's shape). */
const threeBranchSource = (shape: number[]) => `import { add, branch, input, model, mul, param, sum } from "semic/dsl";
export default model("three", () => {
  const x = input("x", ${JSON.stringify(shape)});
  const q = mul(branch(x, "Q"), param("a", ${JSON.stringify(shape)}));
  const k = mul(branch(x, "K"), param("b", ${JSON.stringify(shape)}));
  const s = mul(branch(x, "S"), param("c", ${JSON.stringify(shape)}));
  return sum(add(add(q, k), s));
});`;
const threeBranchModel = (shape: number[]) => loadModel("/three.ts", { fs: { "/three.ts": threeBranchSource(shape) } }).graph;

const nestedOf = (views: ReturnType<typeof computeBranchViews>) => branchViewsJson(views);

describe("worked example B (PAPER.md §1)", () => {
  const graph = threeBranchModel([1, 2, 2]);
  const params = { a: [1, 5, 2, 0.5], b: [3, 1, -4, 1], c: [2, 2, 1, 1.5] };
  const x = [1, 1, 1, 1];

  test("the branch point is x with Q, K, S in program order", () => {
    expect(branchPoints(graph)).toEqual([{ source: 0, labels: ["Q", "K", "S"], shape: [1, 2, 2] }]);
  });

  test("maxprod: oplus, bucket_sum and semic's ⊕ per token", async () => {
    const { mod } = await compileAndLoad(graph, [maxprod]);
    const r = mod.createModel(params).run({ x }).results["maxprod"]!;
    expect(nestedOf(computeBranchViews(branchPoints(graph), maxprod, r, ALL))).toEqual({
      oplus: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[0, 0]] }, S: { shape: [1, 2], value: [[0, 0]] } },
      bucket_sum: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[3, 0]] }, S: { shape: [1, 2], value: [[0, 1.5]] } },
      sum: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[3, 1]] }, S: { shape: [1, 2], value: [[2, 1.5]] } },
    });
  });

  test("sumprod: only semic's ⊕ (the gradient per token); the paper's views need a selecting ⊕", async () => {
    const { mod } = await compileAndLoad(graph, [sumprod]);
    const r = mod.createModel(params).run({ x }).results["sumprod"]!;
    expect(viewsFor(sumprod, ALL)).toEqual(["sum"]);
    expect(nestedOf(computeBranchViews(branchPoints(graph), sumprod, r, ALL))).toEqual({
      sum: { Q: { shape: [1, 2], value: [[6, 2.5]] }, K: { shape: [1, 2], value: [[4, -3]] }, S: { shape: [1, 2], value: [[4, 2.5]] } },
    });
  });
});

describe("random integer weights (ties) against a direct loop", () => {
  const [tokens, units] = [3, 4];
  const graph = threeBranchModel([tokens, units]);
  test.each([1, 2, 3, 4, 5])("seed %i", async (seed) => {
    const r0 = rng(seed);
    const w = { a: [] as number[], b: [] as number[], c: [] as number[] };
    for (const k of ["a", "b", "c"] as const) for (let i = 0; i < tokens * units; i++) w[k].push(r0.int(-3, 4));
    const x = Array.from({ length: tokens * units }, () => r0.normal());
    const { mod } = await compileAndLoad(graph, [maxprod]);
    const r = mod.createModel(w).run({ x }).results["maxprod"]!;
    const views = computeBranchViews(branchPoints(graph), maxprod, r, ["oplus", "bucket_sum"]);

    // Direct loop: the maxprod value of branch Q at an element is a's weight there (and b, c for K, S).
    const ws = [w.a, w.b, w.c];
    const labels = ["Q", "K", "S"];
    for (let t = 0; t < tokens; t++) {
      const oplus = [0, 0, 0];
      const bucket = [0, 0, 0];
      let best: [number, number] | undefined;
      for (let u = 0; u < units; u++) {
        const vals = ws.map((a) => a[t * units + u]!);
        const top = Math.max(...vals);
        const winner = vals.indexOf(top); // first consumer on ties
        bucket[winner]! += top;
        if (!best || top > best[0]) best = [top, winner];
      }
      oplus[best![1]] = best![0];
      labels.forEach((l, b) => {
        expect(views.oplus![l]!.value[t], `oplus ${l}[${t}]`).toBe(oplus[b]);
        expect(views.bucket_sum![l]!.value[t], `bucket_sum ${l}[${t}]`).toBe(bucket[b]);
      });
    }
  });
});

describe("semic's ⊕ per token equals the generated module's aggregation", () => {
  const graph = threeBranchModel([3, 5]);
  test.each([maxprod, entropy, sumprod, maxabs])("$name", async (sr) => {
    const r0 = rng(7);
    const feed = (n: number) => Array.from({ length: n }, () => r0.normal());
    const { mod } = await compileAndLoad(graph, [sr]);
    const r = mod.createModel({ a: feed(15), b: feed(15), c: feed(15) }).run({ x: feed(15) }, { aggregate: { Q: [1], K: [1], S: [1] } }).results[sr.name]!;
    const views = computeBranchViews(branchPoints(graph), sr, r, ["sum"]);
    for (const l of ["Q", "K", "S"]) expectLanesClose(views.sum![l]!.value, r.aggregated![l]!.value, 1e-12, `${sr.name} ${l}`);
  });
});

describe("views from readouts alone (a results file has no branch lanes)", () => {
  const graph = threeBranchModel([3, 5]);
  test("⊕ on readouts: sumprod, maxprod, maxabs, count, logsum; not entropy or expectation", () => {
    expect(Object.values(semirings).filter(plusOnReadout).map((s) => s.name)).toEqual(["sumprod", "maxprod", "count", "logsum", "maxabs"]);
  });
  test.each(Object.values(semirings))("$name", async (sr) => {
    const r0 = rng(9);
    const feed = (n: number) => Array.from({ length: n }, () => r0.normal());
    const { mod } = await compileAndLoad(graph, [sr]);
    const r = mod.createModel({ a: feed(15), b: feed(15), c: feed(15) }).run({ x: feed(15) }).results[sr.name]!;
    const readouts = { branches: Object.fromEntries(Object.entries(r.branches).map(([l, t]) => [l, { value: Array.from(t.value) }])) };
    const full = computeBranchViews(branchPoints(graph), sr, r, ALL);
    const fromReadouts = computeBranchViews(branchPoints(graph), sr, readouts, ALL);
    if (!plusOnReadout(sr)) delete full.sum;
    expect(branchViewsJson(fromReadouts)).toEqual(branchViewsJson(full));
  });
});

describe("semic run --branch-view", () => {
  const dir = mkdtempSync(join(tmpdir(), "semic-views-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "b.ts"), threeBranchSource([1, 2, 2]));
  writeFileSync(join(dir, "plain.ts"), `import { input, model, sum } from "semic/dsl";\nexport default model("plain", () => sum(input("x", [2])));`);
  writeFileSync(join(dir, "p.json"), JSON.stringify({ a: [[[1, 5], [2, 0.5]]], b: [[[3, 1], [-4, 1]]], c: [[[2, 2], [1, 1.5]]] }));
  writeFileSync(join(dir, "x.json"), JSON.stringify({ x: [[[1, 1], [1, 1]]] }));
  writeFileSync(join(dir, "x2.json"), JSON.stringify({ x: [1, 1] }));
  const bin = fileURLToPath(new URL("../../bin/semic.js", import.meta.url));
  const semic = (...args: string[]) => spawnSync(process.execPath, [bin, "run", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, SEMIC_DEBUG: "" } });

  test("--json adds branchViews per semiring; the readable report lists them per token", () => {
    const json = semic("b.ts", "--params", "p.json", "--inputs", "x.json", "-s", "maxprod,sumprod", "--branch-view", "oplus,bucket_sum", "--json");
    expect(json.status, json.stderr).toBe(0);
    const results = (JSON.parse(json.stdout) as { results: Record<string, { branchViews: unknown }> }).results;
    expect(results["maxprod"]!.branchViews).toEqual({
      oplus: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[0, 0]] }, S: { shape: [1, 2], value: [[0, 0]] } },
      bucket_sum: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[3, 0]] }, S: { shape: [1, 2], value: [[0, 1.5]] } },
    });
    expect(results["sumprod"]!.branchViews).toEqual({});
    const text = semic("b.ts", "--params", "p.json", "--inputs", "x.json", "-s", "maxprod,sumprod", "--branch-view", "bucket_sum");
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain("maxprod — branch views\n  branch view bucket_sum, per token:\n    Q  [5, 2]\n    K  [3, 0]\n    S  [0, 1.5]");
    expect(text.stdout).toContain("branch view bucket_sum: not defined for sumprod");
  });

  test.each([
    [["b.ts", "--params", "p.json", "--inputs", "x.json", "-s", "maxprod", "--branch-view", "top"], /^semic: --branch-view: unknown view "top"/],
    [["plain.ts", "--params", "x2.json", "--inputs", "x2.json", "-s", "maxprod", "--branch-view", "oplus"], /^semic: --branch-view: model plain names no branches/],
  ])("user error: %j", (args, message) => {
    const r = semic(...args);
    expect([r.status, r.stdout]).toEqual([1, ""]);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe("parseBranchViews", () => {
  test("a list, repeated or comma-separated, without duplicates", () => {
    expect(parseBranchViews(["oplus,sum", "oplus", "bucket_sum"])).toEqual(["oplus", "sum", "bucket_sum"]);
  });
  test("an unknown view names the valid ones", () => {
    expect(() => parseBranchViews(["oplus,max"])).toThrow('--branch-view: unknown view "max" (valid: oplus, bucket_sum, sum)');
  });
});
