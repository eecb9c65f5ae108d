// `semic run --dataset` and `semic merge` end to end (spawned CLI, two worker threads): results in
// input order with the record-format fields, bad records in the errors file and on stderr with
// exit 3, a run killed mid-way finished by --resume with every record exactly once, shards merged
// back into the full run, and the Arrow file read back.

import type { ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSemic, type Spawned } from "../cliSpawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MODEL = join(ROOT, "examples/transformer.ts");
const PARAMS = join(ROOT, "examples/transformer.params.json");
const SAMPLE = join(ROOT, "examples/data/transformer.jsonl");

let tmp: string;
const at = (f: string) => join(tmp, f);

const semic = (args: readonly string[], onStart?: (child: ChildProcess) => void) => spawnSemic(args, tmp, onStart);

const study = (dataset: string, out: string, ...more: string[]) => [
  "run", MODEL, "--params", PARAMS, "-s", "sumprod,maxprod", "--wrt", "embeddings", "--dataset", dataset, "-o", out,
  "--cache-dir", at("cache"), "--workers", "2", ...more,
];

const jsonl = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
const lines = (file: string) => jsonl(file).map((r) => r["line"]);

let full: Spawned;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "semic-study-cli-"));
  full = await semic(study(SAMPLE, "all.jsonl", "--arrow", "all.arrow")); // also warms the cache for the runs below
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("semic run --dataset", () => {
  test("writes one record per input, in input order, and an Arrow file", () => {
    expect(full.stderr).toMatch(/100 records → all\.jsonl, 0 failed/);
    expect(full.code).toBe(0);
    const records = jsonl(at("all.jsonl"));
    expect(records.map((r) => r["line"])).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const sample = readFileSync(SAMPLE, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; ids: number[]; label: number; meta: unknown });
    records.forEach((r, i) => {
      expect(r).toMatchObject({ id: sample[i]!.id, inputs: { ids: sample[i]!.ids }, extra: { label: sample[i]!.label, meta: sample[i]!.meta } });
      expect(Object.keys(r["results"] as object)).toEqual(["sumprod", "maxprod"]);
    });
    const first = records[0]!["results"] as { maxprod: { wrt: { embeddings: { shape: number[] } }; topPath: unknown[]; topPathValue: number } };
    expect(first.maxprod.wrt.embeddings.shape).toEqual([6, 16]);
    expect(first.maxprod.topPath.length).toBeGreaterThan(0);

    const table = tableFromIPC(readFileSync(at("all.arrow")));
    expect(table.numRows).toBe(100);
    expect(table.getChild("line")!.toArray()).toEqual(Int32Array.from({ length: 100 }, (_, i) => i + 1));
    expect(table.getChild("id")!.get(2)).toBe(sample[2]!.id);
    expect(table.getChild("output")!.get(7)).toBe(records[7]!["output"]);
    const grad = table.getChild("sumprod.wrt.embeddings")!.get(3)!;
    expect(Array.from(grad.toArray() as Float64Array)).toEqual((records[3]!["results"] as { sumprod: { wrt: { embeddings: { value: number[][] } } } }).sumprod.wrt.embeddings.value.flat());
    expect(Array.from(table.getChild("sumprod.wrt.embeddings.shape")!.get(3)!.toArray() as Int32Array)).toEqual([6, 16]);
    expect(table.getChild("maxprod.topPath")!.get(0)!.get(0)!.toJSON()).toMatchObject({ op: "name", tensor: "embeddings" });
  });

  test("bad records go to the errors file and stderr; the run goes on and exits 3", async () => {
    const good = readFileSync(SAMPLE, "utf8").split("\n").slice(0, 3);
    writeFileSync(at("bad.jsonl"), [good[0], '{"id": "oov", "ids": [3, 7, 0, 12, 3, 5]}', "{oops", "", good[1], '{"id": "long", "ids": [1, 2, 3, 4, 5, 6, 7]}', good[2]].join("\n") + "\n");
    const r = await semic(study("bad.jsonl", "bad.out.jsonl"));
    expect(r.code).toBe(3);
    expect(lines(at("bad.out.jsonl"))).toEqual([1, 5, 7]);
    const errors = jsonl(at("bad.out.errors.jsonl"));
    expect(errors.map((e) => [e["line"], e["id"]])).toEqual([[2, "oov"], [3, 3], [6, "long"]]);
    expect(errors[0]!["error"]).toMatch(/ids\[3\] = 12 is outside the vocabulary: tok_emb has 12 rows/);
    expect(errors[2]!["error"]).toMatch(/with config seq=7 \(from ids axis 0\) the weights do not fit: param pos_emb: expected \[7,16\], got \[6,16\]/);
    expect(r.stderr).toContain("semic: bad.jsonl:2 (id oov): ids[3] = 12 is outside the vocabulary");
    expect(r.stderr).toContain("semic: bad.jsonl:3 (id 3): not valid JSON");
  });

  test("a run killed mid-way is finished by --resume: every record once, in order, as in a full run", async () => {
    const rows = readFileSync(SAMPLE, "utf8").trim().split("\n");
    writeFileSync(at("big.jsonl"), Array.from({ length: 2000 }, (_, i) => rows[i % rows.length]).join("\n") + "\n");
    const killed = await semic(study("big.jsonl", "big.out.jsonl"), (child) => {
      const poll = setInterval(() => {
        if (existsSync(at("big.out.jsonl")) && readFileSync(at("big.out.jsonl"), "utf8").split("\n").length > 50) {
          clearInterval(poll);
          child.kill("SIGTERM");
        }
      }, 20);
      child.on("close", () => clearInterval(poll));
    });
    expect(killed.code).toBe(143);
    expect(killed.stderr).toMatch(/stopped by SIGTERM: \d+ records → big\.out\.jsonl.*--resume/);
    const partial = lines(at("big.out.jsonl"));
    expect(partial.length).toBeLessThan(2000);
    expect(partial).toEqual(Array.from({ length: partial.length }, (_, i) => i + 1));
    appendFileSync(at("big.out.jsonl"), '{"line": 99999, "id": "torn'); // what a SIGKILL mid-write leaves

    const resumed = await semic(study("big.jsonl", "big.out.jsonl", "--resume"));
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`${2000 - partial.length} records → big\\.out\\.jsonl, 0 failed → big\\.out\\.errors\\.jsonl, ${partial.length} done before`));
    const records = jsonl(at("big.out.jsonl"));
    expect(records.map((r) => r["line"])).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    const reference = jsonl(at("all.jsonl"));
    for (const i of [0, partial.length - 1, partial.length, 1999]) expect({ ...records[i], line: 0 }).toEqual({ ...reference[i % 100], line: 0 });
  });

  test("--shard I/N splits by line number and semic merge restores the full run", async () => {
    const [a, b] = await Promise.all([semic(study(SAMPLE, "s0.jsonl", "--shard", "0/2", "--workers", "1")), semic(study(SAMPLE, "s1.jsonl", "--shard", "1/2", "--workers", "1"))]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(lines(at("s0.jsonl"))).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    const merged = await semic(["merge", "s0.jsonl", "s1.jsonl", "s0.errors.jsonl", "s1.errors.jsonl", "-o", "merged.jsonl", "--dataset", SAMPLE]);
    expect(merged.code).toBe(0);
    expect(readFileSync(at("merged.jsonl"), "utf8")).toBe(readFileSync(at("all.jsonl"), "utf8"));

    const [dup, missing] = await Promise.all([
      semic(["merge", "s0.jsonl", "s0.jsonl", "-o", "dup.jsonl"]),
      semic(["merge", "s0.jsonl", "-o", "half.jsonl", "--dataset", SAMPLE]),
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toMatch(/^semic: duplicate records: line 1 in s0\.jsonl and s0\.jsonl/);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^semic: incomplete: no record for 50 line\(s\) of .*: 2, 4, 6/);
    expect(existsSync(at("dup.jsonl")) || existsSync(at("half.jsonl"))).toBe(false);
  });

  test("user errors before the run: one line, exit 1, nothing written", async () => {
    const cases = [
      [study(SAMPLE, "all.jsonl"), /all\.jsonl exists: finish that run with --resume/],
      [study(SAMPLE, "x.jsonl", "--shard", "2/2"), /--shard: expected I\/N with 0 ≤ I < N/],
      [["run", MODEL, "--params", PARAMS, "-s", "sumprod"], /give --inputs FILE \(one input\) or --dataset FILE\.jsonl/],
      [study(SAMPLE, "y.jsonl", "--aggregate", "nope:1"), /"nope" is neither a wrt tensor nor a branch/],
      [study(SAMPLE, "z.jsonl", "--dim", "seq"), /--dim: expected KEY=INPUT:AXIS/],
      [study(SAMPLE, "w.jsonl").map((a) => (a === PARAMS ? join(ROOT, "examples/mlp.params.json") : a)), /missing tensors in .*mlp\.params\.json: param tok_emb \[12,16\]/],
    ] as const;
    const runs = await Promise.all(cases.map(([args]) => semic(args)));
    for (const [i, [, message]] of cases.entries()) {
      const r = runs[i]!;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(["x.jsonl", "y.jsonl", "z.jsonl", "w.jsonl"].some((f) => existsSync(at(f)))).toBe(false);
  });
});
