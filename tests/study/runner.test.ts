// The record runner in this process: a record's results equal a direct compile of the model at
// that record's length; lengths map to config values (discovered, or --dim); a bad record is a
// RecordError naming line, id and fault; the compile cache is reused, and a changed model misses;
// instances are counted and kept up to maxModels.

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { semiringByName } from "../../ir/semirings/index.ts";
import { bindTensors, loadTensorFile } from "../../runtime/weights.ts";
import type { StudyOptions } from "../../compiler/study/options.ts";
import { errorRecord, RecordError } from "../../compiler/study/record.ts";
import { createRecordRunner, type RecordRunner } from "../../compiler/study/runner.ts";
import { openModel } from "../../compiler/study/study.ts";

const example = (p: string) => fileURLToPath(new URL(`../../examples/${p}`, import.meta.url));
let tmp: string;
let bert: RecordRunner;
const bertOptions = (): StudyOptions => ({
  model: example("bert.ts"),
  params: example("bert.safetensors"),
  semirings: ["sumprod", "maxprod"],
  aggregate: { embeddings: [1] },
  cacheDir: join(tmp, "cache"),
});

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "semic-study-"));
  bert = await createRecordRunner(bertOptions());
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cacheEntries = () => readdirSync(join(tmp, "cache"), { recursive: true }).filter((f) => String(f).endsWith(".mjs")).length;

describe("record runner", () => {
  test("discovers that config seq is the length of ids", () => {
    expect(bert.info.rules).toEqual([{ key: "seq", input: "ids", axis: 0 }]);
    expect([...bert.inputNames]).toEqual(["ids"]);
  });

  test.each([5, 8, 11])("a record of length %i equals a direct compile at that length", async (seq) => {
    const ids = Array.from({ length: seq }, (_, i) => (i * 7 + 3) % 50);
    const out = await bert.run({ line: 4, text: JSON.stringify({ id: "s", ids, meta: { group: 1 } }) });
    expect(out).toMatchObject({ line: 4, id: "s", extra: { meta: { group: 1 } }, inputs: { ids } });

    const { graph } = loadModel(example("bert.ts"), { config: { seq } });
    const { js } = compileGraph(graph, { semirings: [semiringByName("sumprod"), semiringByName("maxprod")], precision: "f64" });
    const params = bindTensors(
      graph.nodes.filter((n) => n.op === "param").map((n) => ({ name: String(n.attrs["name"]), shape: n.type.shape, dtype: "f32" as const, kind: "param" as const })),
      loadTensorFile(example("bert.safetensors")),
      "bert",
      { allowExtra: true },
    ).tensors;
    const direct = (await importModule(js.js)).createModel(params).run({ ids: Int32Array.from(ids) }, { aggregate: { embeddings: [1] } });
    expect(out.output).toBeCloseTo(direct.output, 12);
    const results = out.results as Record<string, { wrt: Record<string, { value: number[][] }>; aggregated: Record<string, { value: number[] }>; topPathValue?: number }>;
    expect(results["sumprod"]!.wrt["embeddings"]!.value.flat()).toEqual(Array.from(direct.results["sumprod"]!.wrt["embeddings"]!.value));
    expect(results["maxprod"]!.aggregated["embeddings"]!.value).toHaveLength(seq);
    expect(results["maxprod"]!.topPathValue).toBe(direct.results["maxprod"]!.topPathValue);
  });

  test.each([
    ['{"id": "a", "ids": [1, 2, 3, 99, 4]}', /^ids\[3\] = 99 is outside the vocabulary: bert\.embeddings\.word_embeddings\.weight has 50 rows/],
    ['{"id": "b", "ids": [1, 2, 3, 4.5, 4]}', /expected integers \(i32\), got 4\.5 at ids\[3\]/],
    ['{"id": "c", "ids": [1, 2, 3, 1e999]}', /ids\[3\]: expected a finite number, got Infinity/],
    ['{"id": "d", "ids": [[1, 2], [3, 4]]}', /input ids: expected \[8\], got \[2,2\]/],
    ['{"id": "e", "idz": [1, 2, 3, 4]}', /missing tensors in the record: input ids \[8\]/],
    ['{"id": "f", "ids": [1, 2]}', /^with config seq=2 \(from ids axis 0\): .*bert\.ts:\d+:\d+: slice/],
    ["not json", /^not valid JSON/],
    ['[1, 2]', /^expected a JSON object/],
    ['{"id": null, "ids": [1, 2, 3, 4]}', /"id" must be a string or a number/],
  ])("refuses %s", async (text, message) => {
    const err = await bert.run({ line: 9, text }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RecordError);
    const rec = errorRecord(9, 9, err);
    expect(rec.line).toBe(9);
    expect(rec.error).toMatch(message);
    expect(rec.error).not.toContain("\n");
    const id = JSON.parse(text.startsWith("{") ? text : "{}") as { id?: unknown };
    if (typeof id.id === "string") expect(rec.id).toBe(id.id);
  });

  test("instances: kept per shape up to maxModels; entropy's weight caches carried from length to length change nothing", async () => {
    const options = { ...bertOptions(), semirings: ["entropy", "maxprod"] };
    const records = [5, 8, 5].map((seq, i) => ({ line: i + 1, text: JSON.stringify({ ids: Array.from({ length: seq }, (_, k) => (k * 11 + seq) % 50) }) }));
    const [kept, evicting] = [await createRecordRunner(options), await createRecordRunner({ ...options, maxModels: 1 })];
    const outs = [];
    for (const r of records) outs.push([await kept.run(r), await evicting.run(r)]);
    expect([kept.timing.loads, evicting.timing.loads]).toEqual([2, 3]);
    // Each record as a runner that met no other length computes it (its caches its own).
    for (const [i, r] of records.entries()) {
      const alone = await (await createRecordRunner(options)).run(r);
      for (const out of outs[i]!) expect(out.results).toEqual(alone.results);
    }
  });

  test("a warm cache compiles nothing; a changed model misses", async () => {
    const before = cacheEntries();
    const again = await createRecordRunner(bertOptions());
    await again.run({ line: 1, text: '{"ids": [1, 2, 3, 4, 5]}' });
    expect(cacheEntries()).toBe(before);

    const copy = join(tmp, "bert.ts");
    copyFileSync(example("bert.ts"), copy);
    const changed = await createRecordRunner({ ...bertOptions(), model: copy });
    await changed.run({ line: 1, text: '{"ids": [1, 2, 3, 4, 5]}' });
    const afterCopy = cacheEntries();
    expect(afterCopy).toBe(before); // same contents, same key
    writeFileSync(copy, readFileSync(copy, "utf8").replace("const EPS = 1e-12;", "const EPS = 1e-6;"));
    const edited = await createRecordRunner({ ...bertOptions(), model: copy });
    await edited.run({ line: 1, text: '{"ids": [1, 2, 3, 4, 5]}' });
    expect(cacheEntries()).toBe(afterCopy + 2); // the base shape and seq=5
  });

  test("--dim states the mapping and is checked against the model", async () => {
    const info = await openModel({ ...bertOptions(), dims: [{ key: "seq", input: "ids", axis: 0 }] });
    expect(info.rules).toEqual([{ key: "seq", input: "ids", axis: 0 }]);
    await expect(openModel({ ...bertOptions(), dims: [{ key: "sequence", input: "ids", axis: 0 }] })).rejects.toThrow(/no config key "sequence"/);
    await expect(openModel({ ...bertOptions(), dims: [{ key: "seq", input: "tokens", axis: 0 }] })).rejects.toThrow(/no input "tokens"/);
    await expect(openModel({ ...bertOptions(), dims: [{ key: "seq", input: "ids", axis: 1 }] })).rejects.toThrow(/has rank 1/);
  });

  test("names asked for must exist, semirings must be known", async () => {
    await expect(openModel({ ...bertOptions(), aggregate: { embedings: [1] } })).rejects.toThrow(/"embedings" is neither a wrt tensor nor a branch/);
    await expect(openModel({ ...bertOptions(), semirings: ["maxprd"] })).rejects.toThrow(/unknown semiring "maxprd"/);
  });
});
