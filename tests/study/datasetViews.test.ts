// Branch views (--branch-view) in dataset runs: PAPER.md's worked example B through a dataset
// gives exactly the values of a single-input run; on BERT records of mixed lengths a 2-worker run
// equals the 1-worker run record for record, and shards merged equal it too; the views reach the
// Arrow file and `semic report` draws them without the model. (The queue path: queue.test.ts.)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { shapeKey } from "../../compiler/study/compileShape.ts";
import { summarize } from "../../compiler/study/report/summarize.ts";
import { expectUserError, ROOT, spawnSemic } from "../cliSpawn.ts";

let tmp: string;
const at = (f: string) => join(tmp, f);
const semic = (...args: string[]) => spawnSemic(args, tmp);

type Views = Record<string, Record<string, { shape: number[]; value: unknown }>>;
type Results = Record<string, { branchViews?: Views }>;
const jsonl = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { line: number; id: string; results: Results });

/** Example B (PAPER.md §1): x feeds three element-wise consumers Q, K, S; one token per row of x. */
const EXAMPLE_B = `import { add, branch, input, model, mul, param, sum } from "semic/dsl";
export default model("b", () => {
  const x = input("x", [1, 2, 2]);
  const q = mul(branch(x, "Q"), param("a", [1, 2, 2]));
  const k = mul(branch(x, "K"), param("b", [1, 2, 2]));
  const s = mul(branch(x, "S"), param("c", [1, 2, 2]));
  return sum(add(add(q, k), s));
});
`;
const B_INPUTS = [[[[1, 1], [1, 1]]], [[[2, -1], [0.5, 3]]], [[[-1, 4], [2, 2]]]];
const ALL = "oplus,bucket_sum,sum";

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "semic-study-views-"));
  writeFileSync(at("b.ts"), EXAMPLE_B);
  writeFileSync(at("b.params.json"), JSON.stringify({ a: [[[1, 5], [2, 0.5]]], b: [[[3, 1], [-4, 1]]], c: [[[2, 2], [1, 1.5]]] }));
  writeFileSync(at("b.jsonl"), B_INPUTS.map((x, i) => JSON.stringify({ id: `b${i}`, x, meta: { group: ["first", "second"] } })).join("\n") + "\n");
  B_INPUTS.forEach((x, i) => writeFileSync(at(`b${i}.json`), JSON.stringify({ x })));
  // BERT records of four lengths, two of each.
  const bert = readFileSync(join(ROOT, "examples/data/bert.jsonl"), "utf8").split("\n").filter((l) => l !== "");
  const byLength = new Map<number, string[]>();
  for (const l of bert) {
    const n = (JSON.parse(l) as { ids: number[] }).ids.length;
    byLength.set(n, [...(byLength.get(n) ?? []), l]);
  }
  writeFileSync(at("bert.jsonl"), [...byLength.values()].slice(0, 4).flatMap((ls) => ls.slice(0, 2)).join("\n") + "\n");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("worked example B through a dataset", () => {
  test("each record's views equal a single-input run's, and example B's values are the paper's", async () => {
    const run = await semic("run", "b.ts", "--params", "b.params.json", "--dataset", "b.jsonl", "-s", "maxprod,sumprod", "--branch-view", ALL, "-o", "b.out.jsonl", "--arrow", "b.arrow", "--cache-dir", "cache", "--workers", "0");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("semic: --branch-view oplus,bucket_sum: not defined for sumprod");
    const records = jsonl(at("b.out.jsonl"));
    expect(records.map((r) => r.id)).toEqual(["b0", "b1", "b2"]);
    expect(records[0]!.results["maxprod"]!.branchViews).toEqual({
      oplus: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[0, 0]] }, S: { shape: [1, 2], value: [[0, 0]] } },
      bucket_sum: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[3, 0]] }, S: { shape: [1, 2], value: [[0, 1.5]] } },
      sum: { Q: { shape: [1, 2], value: [[5, 2]] }, K: { shape: [1, 2], value: [[3, 1]] }, S: { shape: [1, 2], value: [[2, 1.5]] } },
    });
    const singles = await Promise.all(B_INPUTS.map((_, i) => semic("run", "b.ts", "--params", "b.params.json", "--inputs", `b${i}.json`, "-s", "maxprod,sumprod", "--branch-view", ALL, "--json")));
    singles.forEach((s, i) => {
      expect(s.code, s.stderr).toBe(0);
      const single = (JSON.parse(s.stdout) as { results: Results }).results;
      for (const sr of ["maxprod", "sumprod"]) expect(records[i]!.results[sr]!.branchViews, `record ${i} ${sr}`).toEqual(single[sr]!.branchViews);
    });

    const table = tableFromIPC(readFileSync(at("b.arrow")));
    expect(Array.from(table.getChild("maxprod.view.bucket_sum.K")!.get(0)!.toArray() as Float64Array)).toEqual([3, 0]);
    expect(Array.from(table.getChild("maxprod.view.bucket_sum.K.shape")!.get(0)!.toArray() as Int32Array)).toEqual([1, 2]);
    expect(table.getChild("sumprod.view.oplus.Q")).toBeNull();

    // The report draws the records' own views: no --model needed.
    const data = await summarize(at("b.out.jsonl"), { title: "b", records: 1 });
    const bucket = data.bars.find((c) => c.semiring === "maxprod" && c.view === "bucket_sum")!;
    const flat = (i: number, label: string) => (records[i]!.results["maxprod"]!.branchViews!["bucket_sum"]![label]!.value as number[][])[0]!;
    for (const [g, group] of ["first", "second"].entries()) {
      for (const label of ["Q", "K", "S"]) {
        const mean = records.reduce((s, _, i) => s + flat(i, label)[g]!, 0) / records.length;
        expect(bucket.rows.find((r) => r.branch === label && r.group === group)!.value, `${label} ${group}`).toBeCloseTo(mean, 12);
      }
    }
    expect(data.bars.map((c) => `${c.semiring} ${c.view}`).sort()).toEqual(["maxprod bucket_sum", "maxprod oplus", "maxprod sum", "sumprod sum"]);
  }, 60_000);

  test("--no-branch-values leaves the branch values out and nothing else: the views are still computed from them", async () => {
    const full = await semic("run", "b.ts", "--params", "b.params.json", "--dataset", "b.jsonl", "-s", "maxprod", "--branch-view", "oplus", "-o", "full.jsonl", "--cache-dir", "cache", "--workers", "0");
    const lean = await semic("run", "b.ts", "--params", "b.params.json", "--dataset", "b.jsonl", "-s", "maxprod", "--branch-view", "oplus", "-o", "lean.jsonl", "--arrow", "lean.arrow", "--cache-dir", "cache", "--workers", "0", "--no-branch-values");
    expect(full.code, full.stderr).toBe(0);
    expect(lean.code, lean.stderr).toBe(0);
    const [withValues, without] = [jsonl(at("full.jsonl")), jsonl(at("lean.jsonl"))];
    expect(Object.keys(withValues[0]!.results["maxprod"]!)).toContain("branches");
    without.forEach((r, i) => {
      const { branches, ...rest } = withValues[i]!.results["maxprod"] as Record<string, unknown>;
      expect(branches).toBeDefined();
      expect(r.results["maxprod"]).toEqual(rest);
    });
    expect(tableFromIPC(readFileSync(at("lean.arrow"))).getChild("maxprod.branch.Q")).toBeNull();
    expectUserError(await semic("run", "b.ts", "--params", "b.params.json", "--inputs", "b0.json", "-s", "maxprod", "--no-branch-values"), /--no-branch-values applies to a study/);
  }, 60_000);
});

test("a user semiring (--semirings-from) gets its views as in a single-input run", async () => {
  const semirings = join(ROOT, "examples/semirings/bottleneck.ts");
  const args = ["b.ts", "--params", "b.params.json", "--semirings-from", semirings, "-s", "bottleneck", "--branch-view", ALL];
  const [run, single] = await Promise.all([
    semic("run", ...args, "--dataset", "b.jsonl", "-o", "bottleneck.jsonl", "--cache-dir", "cache", "--workers", "1"),
    semic("run", ...args, "--inputs", "b1.json", "--json"),
  ]);
  expect(run.code, run.stderr).toBe(0);
  expect(single.code, single.stderr).toBe(0);
  const views = jsonl(at("bottleneck.jsonl"))[1]!.results["bottleneck"]!.branchViews!;
  expect(Object.keys(views)).toEqual(["oplus", "bucket_sum", "sum"]);
  expect(views).toEqual((JSON.parse(single.stdout) as { results: Results }).results["bottleneck"]!.branchViews);
}, 60_000);

test("the views do not change the compiled code: same cache key with or without them", () => {
  const o = { model: at("b.ts"), params: at("b.params.json"), semirings: ["maxprod"], cacheDir: at("cache") };
  expect(shapeKey({ ...o, branchViews: ["oplus", "sum"] }, {})).toBe(shapeKey(o, {}));
  expect(shapeKey({ ...o, semirings: ["maxprod", "sumprod"] }, {})).not.toBe(shapeKey(o, {}));
});

describe("BERT records of mixed lengths", () => {
  const study = (out: string, ...more: string[]) => [
    "run", join(ROOT, "examples/bert.ts"), "--params", join(ROOT, "examples/bert.safetensors"), "--dataset", "bert.jsonl", "-s", "maxprod,sumprod",
    "--branch-view", ALL, "--cache-dir", "cache", "-o", out, ...more,
  ];

  test("two workers, and two shards merged, equal one worker record for record", async () => {
    const one = await semic(...study("one.jsonl", "--workers", "1")); // compiles the four lengths
    expect(one.code, one.stderr).toBe(0);
    const [two, s0, s1] = await Promise.all([
      semic(...study("two.jsonl", "--workers", "2")),
      semic(...study("s0.jsonl", "--workers", "1", "--shard", "0/2")),
      semic(...study("s1.jsonl", "--workers", "1", "--shard", "1/2")),
    ]);
    for (const r of [two, s0, s1]) expect(r.code, r.stderr).toBe(0);
    const merged = await semic("merge", "s0.jsonl", "s1.jsonl", "-o", "merged.jsonl", "--dataset", "bert.jsonl");
    expect(merged.code, merged.stderr).toBe(0);

    const reference = readFileSync(at("one.jsonl"), "utf8");
    expect(readFileSync(at("two.jsonl"), "utf8")).toBe(reference);
    expect(readFileSync(at("merged.jsonl"), "utf8")).toBe(reference);
    const records = jsonl(at("one.jsonl"));
    expect(records).toHaveLength(8);
    for (const r of records) {
      const views = r.results["maxprod"]!.branchViews!;
      expect(Object.keys(views)).toEqual(["oplus", "bucket_sum", "sum"]);
      // 2 layers × 4 consumers (query, key, value, skip) + 2 × 2 (ffn, ffn_skip): 12 branches, one value per token.
      expect(Object.keys(views["oplus"]!)).toHaveLength(12);
      const tokens = (r.results["maxprod"] as unknown as { wrt: Record<string, { shape: number[] }> }).wrt;
      expect(views["oplus"]!["layer0.query"]!.shape).toEqual([Object.values(tokens)[0]!.shape[0]!]);
      expect(Object.keys(r.results["sumprod"]!.branchViews!)).toEqual(["sum"]);
    }
  }, 240_000);

  test("a model without branches: one located line, exit 1", async () => {
    writeFileSync(at("plain.ts"), `import { input, model, sum } from "semic/dsl";\nexport default model("plain", () => sum(input("x", [2])));`);
    writeFileSync(at("plain.jsonl"), '{"x": [1, 2]}\n');
    writeFileSync(at("none.json"), "{}");
    const r = await semic("run", "plain.ts", "--params", "none.json", "--dataset", "plain.jsonl", "-s", "maxprod", "--branch-view", "oplus", "-o", "plain.out.jsonl", "--cache-dir", "cache");
    expectUserError(r, /^semic: --branch-view: model plain\.ts names no branches; mark a tensor's consumers with branch\(x, "label"\)$/);
  });
});
