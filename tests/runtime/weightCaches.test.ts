// createModel(params, { caches }): values computed from the params alone (log|w| for entropy) are
// kept in the caller's Map and copied into the next model built from the same param arrays, a
// model of another sequence length included, with the results of a model that computed them.

import { describe, expect, test } from "vitest";
import { compileGraph, importModule, type GeneratedModel } from "../../compiler/compile.ts";
import { compile } from "../../compiler/compileModel.ts";
import { bindTensors, loadTensorFile } from "../../runtime/weights.ts";

type Create = (params: unknown, options?: unknown) => GeneratedModel;
const weights = loadTensorFile("examples/bert.safetensors");

/** The small BERT at `seq`, entropy and maxprod in f64, and its params from the shipped weights. */
async function bertAt(seq: number): Promise<{ create: Create; params: Record<string, ArrayLike<number>>; ids: number[] }> {
  const compiled = await compile("examples/bert.ts", { semirings: ["entropy", "maxprod"], config: { seq: String(seq) } });
  const { js } = compileGraph(compiled.graph, { semirings: compiled.semirings, precision: "f64" });
  expect(js.js).toContain("const cacheSpecs = [");
  const expected = compiled.graph.nodes.filter((n) => n.op === "param").map((n) => ({ name: String(n.attrs["name"]), shape: [...n.type.shape], dtype: "f32" as const, kind: "param" as const }));
  const params = bindTensors(expected, weights, "examples/bert.safetensors", { allowExtra: true }).tensors;
  const mod = (await importModule(js.js)) as unknown as { createModel: Create };
  return { create: mod.createModel, params, ids: Array.from({ length: seq }, (_, i) => (i * 7 + 3) % 50) };
}

const readouts = (m: GeneratedModel, ids: number[]) => {
  const r = m.run({ ids }, { aggregate: { embeddings: [1] } });
  return { output: r.output, entropy: [...r.results["entropy"]!.aggregated!["embeddings"]!.value], maxprod: r.results["maxprod"]!.topPathValue };
};

describe("weight caches across models", () => {
  test("a model of another length copies every cache the first one computed, with equal results", async () => {
    const [a, b] = [await bertAt(8), await bertAt(9)];
    const caches = new Map<string, unknown>();
    expect(readouts(a.create(a.params, { caches }), a.ids)).toEqual(readouts(a.create(a.params), a.ids));
    const keys = [...caches.keys()];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith("f64 ") && /"(bert|cls)\.[^"]+"\[c0, c1\]/.test(k))).toBe(true);
    // The same weights at seq 9 find every cache there: nothing new is computed or stored.
    const entries = [...caches.values()];
    expect(readouts(b.create(b.params, { caches }), b.ids)).toEqual(readouts(b.create(b.params), b.ids));
    expect([...caches.values()]).toEqual(entries);
  });

  test("a stored cache is used for the same param arrays only", async () => {
    const b = await bertAt(9);
    const want = readouts(b.create(b.params), b.ids);
    const caches = new Map<string, { sources: unknown[]; data: Float64Array }>();
    b.create(b.params, { caches });
    // Spoil what is stored: a model of the same arrays copies it (its results change), proving
    // the copy is taken; a model of equal values in other arrays computes its own.
    for (const e of caches.values()) e.data.fill(0.5);
    expect(readouts(b.create(b.params, { caches }), b.ids)).not.toEqual(want);
    const copies = Object.fromEntries(Object.entries(b.params).map(([k, v]) => [k, Float32Array.from(v)]));
    expect(readouts(b.create(copies, { caches }), b.ids)).toEqual(want);
  });

  test("bad options are one located error", async () => {
    const b = await bertAt(8);
    expect(() => b.create(b.params, { cache: new Map() })).toThrow(/^createModel\(\): unknown option "cache" \(valid: caches\)$/);
    expect(() => b.create(b.params, { caches: {} })).toThrow(/^createModel\(\): options.caches must be a Map .*got an object$/);
    expect(() => b.create(b.params, 3)).toThrow(/^createModel\(\): options must be an object/);
  });
});
