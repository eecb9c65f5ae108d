// The study's small parts: --shard and --dim parsing, the ordered sink (input order, resume past a
// torn line), merge checks, the Arrow table (±Infinity, nested paths) and the cache key.

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resultsTable } from "../../compiler/study/arrow.ts";
import { contentKey, modelFiles } from "../../compiler/study/cache.ts";
import { mergeShards } from "../../compiler/study/merge.ts";
import { inShard, parseDims, parseShard } from "../../compiler/study/options.ts";
import { jsonLine, type OutputRecord } from "../../compiler/study/record.ts";
import { OrderedSink } from "../../compiler/study/sink.ts";
import { overridesOf, type ModelInfo } from "../../compiler/study/study.ts";

let tmp: string;
beforeAll(() => void (tmp = mkdtempSync(join(tmpdir(), "semic-study-parts-"))));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const record = (line: number): OutputRecord => ({ line, id: `r${line}`, extra: {}, inputs: {}, output: -line, results: {} });

describe("options", () => {
  test("--shard I/N splits lines by (L − 1) mod N", () => {
    const shards = [0, 1, 2].map((i) => parseShard(`${i}/3`)!);
    for (let line = 1; line <= 30; line++) expect(shards.filter((s) => inShard(line, s))).toHaveLength(1);
    expect([1, 2, 3, 4].filter((l) => inShard(l, shards[1]))).toEqual([2]);
    for (const bad of ["3/3", "1", "a/b", "0/0", "-1/2"]) expect(() => parseShard(bad)).toThrow(/--shard: expected I\/N/);
  });

  test("--dim KEY=INPUT:AXIS", () => {
    expect(parseDims(["seq=ids:0", "n=x:1,m=y:0"])).toEqual([
      { key: "seq", input: "ids", axis: 0 },
      { key: "n", input: "x", axis: 1 },
      { key: "m", input: "y", axis: 0 },
    ]);
    expect(() => parseDims(["seq=ids"])).toThrow(/expected KEY=INPUT:AXIS/);
  });
});

describe("lengths to config values", () => {
  const info = (rules: ModelInfo["rules"], ambiguous: ModelInfo["ambiguous"] = []): ModelInfo => ({
    base: {
      params: [],
      inputs: [
        { name: "ids", shape: [8], dtype: "i32", kind: "input" },
        { name: "mask", shape: [8, 2], dtype: "f32", kind: "input" },
      ],
      vocab: [],
      points: [],
      names: [],
      config: { seq: 8, hidden: 8, width: 2 },
    },
    rules,
    ambiguous,
  });
  const rec = (inputs: Record<string, unknown>) => ({ line: 3, id: "r", inputs, extra: {} });
  const seq = [
    { key: "seq", input: "ids", axis: 0 },
    { key: "seq", input: "mask", axis: 0 },
  ];

  test("a record's lengths set the keys that differ from the model's config", () => {
    expect(overridesOf(info(seq), rec({ ids: [1, 2, 3], mask: [[0, 1], [0, 1], [1, 1]] }))).toEqual({ seq: 3 });
    expect(overridesOf(info(seq), rec({ ids: [1, 2, 3, 4, 5, 6, 7, 8] }))).toEqual({});
    expect(overridesOf(info(seq), rec({ ids: [[1, 2, 3]] }))).toEqual({}); // wrong rank: left to binding
  });

  test("inputs that disagree on one key, and a dimension two keys follow, are record errors", () => {
    expect(() => overridesOf(info(seq), rec({ ids: [1, 2, 3], mask: [[0, 1]] }))).toThrow(/mask axis 0 has length 1 but ids axis 0 has 3: both set config seq/);
    const both = info([], [{ input: "ids", axis: 0, keys: ["seq", "hidden"] }]);
    expect(overridesOf(both, rec({ ids: [1, 2, 3, 4, 5, 6, 7, 8] }))).toEqual({});
    expect(() => overridesOf(both, rec({ ids: [1, 2] }))).toThrow(/config keys seq and hidden both follow it: say which with --dim seq=ids:0/);
  });
});

describe("ordered sink", () => {
  test("writes in input order whatever the completion order, and resumes past a torn line", () => {
    const paths = { results: join(tmp, "r.jsonl"), errors: join(tmp, "r.errors.jsonl") };
    const sink = new OrderedSink(paths, "new");
    sink.deliver(2, { ok: record(3) });
    sink.deliver(1, { error: { line: 2, id: "r2", error: "bad" } });
    expect(readFileSync(paths.results, "utf8")).toBe("");
    sink.deliver(0, { ok: record(1) });
    sink.close();
    expect(readFileSync(paths.results, "utf8")).toBe(jsonLine(record(1)) + jsonLine(record(3)));
    expect(readFileSync(paths.errors, "utf8")).toBe('{"line":2,"id":"r2","error":"bad"}\n');
    expect(() => new OrderedSink(paths, "new")).toThrow(/exists: finish that run with --resume/);

    writeFileSync(paths.results, readFileSync(paths.results, "utf8") + '{"line":4,"id":"r4","ext');
    const resumed = new OrderedSink(paths, "resume");
    expect([...resumed.done].sort()).toEqual([1, 2, 3]);
    resumed.deliver(0, { ok: record(4) });
    resumed.close();
    expect(readFileSync(paths.results, "utf8")).toBe(jsonLine(record(1)) + jsonLine(record(3)) + jsonLine(record(4)));
  });
});

describe("result lines", () => {
  test("±Infinity and NaN anywhere in a record become strings; a finite record is plain JSON", () => {
    expect(jsonLine({ a: [1, [2, Infinity]], b: { c: NaN, d: -Infinity }, e: "x" })).toBe('{"a":[1,[2,"Infinity"]],"b":{"c":"NaN","d":"-Infinity"},"e":"x"}\n');
    const finite = { a: [1.5, [2e-300, -0]], b: { c: null, d: true }, e: "Infinity" };
    expect(jsonLine(finite)).toBe(JSON.stringify(finite) + "\n");
  });
});

describe("merge", () => {
  test("restores dataset order and checks duplicates and completeness", () => {
    const f = (name: string, lines: number[], error = false) => {
      const p = join(tmp, name);
      writeFileSync(p, lines.map((l) => (error ? jsonLine({ line: l, id: l, error: "x" }) : jsonLine(record(l)))).join(""));
      return p;
    };
    const data = join(tmp, "data.jsonl");
    writeFileSync(data, "{}\n{}\n\n{}\n{}\n");
    const [a, b, e] = [f("a.jsonl", [4, 1]), f("b.jsonl", [5]), f("a.errors.jsonl", [2], true)];
    const m = mergeShards([a, b, e], data);
    expect(m.results.map((t) => (JSON.parse(t) as { line: number }).line)).toEqual([1, 4, 5]);
    expect(m.errors).toHaveLength(1);
    expect(() => mergeShards([a, a])).toThrow(/duplicate records: line 4 in .*a\.jsonl and .*a\.jsonl/);
    expect(() => mergeShards([a, b], data)).toThrow(/incomplete: no record for 1 line\(s\) of .*: 2/);
    expect(() => mergeShards([a, b, e, f("c.jsonl", [3])], data)).toThrow(/records of lines 3 are not records of/);
    expect(mergeShards([a, b]).missing).toEqual([2, 3]);
  });
});

describe("arrow", () => {
  test("one row per record, nested results as list and struct columns, ±Infinity as floats", () => {
    const results = {
      maxprod: {
        wrt: { x: { shape: [2, 2], value: [[1, "-Infinity"], [3, 4]], lanes: {} } },
        topPath: [{ op: "input", tensor: "x", index: [1, 0], weight: 1 }, { op: "pick", tensor: "%3", index: [], weight: -0.5 }],
        topPathValue: -0.5,
      },
    };
    const rows = [
      { line: 1, id: "a", extra: { g: 1 }, inputs: { ids: [[1, 2]] }, output: -1, results },
      { line: 3, id: 7, extra: {}, inputs: { ids: [[3]] }, output: "-Infinity", results: {} },
    ];
    const table = tableFromIPC(tableToIPC(resultsTable(rows), "file"));
    expect(table.numRows).toBe(2);
    expect(table.getChild("id")!.toArray()).toEqual(["a", "7"]);
    expect(table.getChild("output")!.get(1)).toBe(-Infinity);
    expect(Array.from(table.getChild("maxprod.wrt.x")!.get(0)!.toArray() as Float64Array)).toEqual([1, -Infinity, 3, 4]);
    expect(Array.from(table.getChild("maxprod.wrt.x.shape")!.get(0)!.toArray() as Int32Array)).toEqual([2, 2]);
    expect(table.getChild("maxprod.wrt.x")!.get(1)).toBeNull();
    const step = table.getChild("maxprod.topPath")!.get(0)!.get(1)!;
    expect(step.toJSON()).toMatchObject({ op: "pick", tensor: "%3", weight: -0.5 });
    expect(Array.from(table.getChild("inputs.ids")!.get(0)!.toArray() as Int32Array)).toEqual([1, 2]);
    expect([table.getChild("extra.g")!.get(0), table.getChild("extra.g")!.get(1)]).toEqual([1, null]);
    expect(table.schema.fields.map((f) => f.name).slice(0, 4)).toEqual(["line", "id", "output", "extra.g"]);
  });

  test("metadata: nested objects become dotted columns typed by their values, anything else JSON text", () => {
    const rows = [
      { line: 1, id: 1, extra: { label: 1, score: 0.5, name: "a", ok: true, meta: { group: [0, 2], w: [0.5, 1] }, odd: 1, deep: [[1]] }, results: {} },
      { line: 2, id: 2, extra: { label: 0, score: 2, name: "b", ok: false, meta: { group: [1] }, odd: "x", deep: [] }, results: {} },
    ];
    const table = tableFromIPC(tableToIPC(resultsTable(rows), "file"));
    const col = (name: string) => table.schema.fields.find((f) => f.name === name)?.type.toString();
    expect(Object.fromEntries(["extra.label", "extra.score", "extra.name", "extra.ok", "extra.meta.group", "extra.meta.w", "extra.odd", "extra.deep"].map((c) => [c, col(c)]))).toEqual({
      "extra.label": "Int32",
      "extra.score": "Float64",
      "extra.name": "Utf8",
      "extra.ok": "Bool",
      "extra.meta.group": "List<Int32>",
      "extra.meta.w": "List<Float64>",
      "extra.odd": "Utf8",
      "extra.deep": "Utf8",
    });
    expect(Array.from(table.getChild("extra.meta.group")!.get(1)!.toArray() as Int32Array)).toEqual([1]);
    expect(table.getChild("extra.meta.w")!.get(1)).toBeNull();
    expect([table.getChild("extra.odd")!.get(0), table.getChild("extra.odd")!.get(1)]).toEqual(["1", '"x"']);
    expect(table.getChild("extra.deep")!.get(0)).toBe("[[1]]");
  });
});

describe("cache key", () => {
  test("covers the files a model imports, and nothing else", () => {
    const dir = mkdtempSync(join(tmp, "model-"));
    writeFileSync(join(dir, "helper.ts"), "export const n = 4;\n");
    writeFileSync(join(dir, "model.ts"), 'import { n } from "./helper.ts";\nimport { input } from "semic/dsl";\nexport const m = n;\n');
    expect(modelFiles(join(dir, "model.ts"))).toEqual([join(dir, "helper.ts"), join(dir, "model.ts")]);
    const key = () => contentKey(modelFiles(join(dir, "model.ts")), { semirings: ["maxprod"] });
    const before = key();
    expect(contentKey(modelFiles(join(dir, "model.ts")), { semirings: ["sumprod"] })).not.toBe(before);
    writeFileSync(join(dir, "helper.ts"), "export const n = 5;\n");
    expect(key()).not.toBe(before);
    const example = fileURLToPath(new URL("../../examples/mlp.ts", import.meta.url));
    copyFileSync(example, join(dir, "mlp.ts"));
    expect(modelFiles(join(dir, "mlp.ts"))).toEqual([join(dir, "mlp.ts")]);
  });
});
