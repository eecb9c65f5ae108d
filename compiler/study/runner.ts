// The record runner: one dataset line in, one output record out, in the current thread.
//
//   import { createRecordRunner } from "./compiler/study/runner.ts";   // (from the repository root)
//   const runner = await createRecordRunner({ model, params, semirings: ["sumprod", "maxprod"], cacheDir });
//   const out = await runner.run({ line: 1, text: '{"id": "s1", "ids": [3, 7, 0, 9, 3, 5]}' });
//   // out: the results-file object (line, id, extra, inputs, output, results; README "Run a study")
//
// `run` throws a RecordError (line, id, one-line message; `.toJSON()` is the errors-file object)
// for a record the model cannot take: bad JSON, a missing or mis-shaped input, an id outside the
// vocabulary, a non-finite value, a length the weights do not cover. Any other throw is a bug;
// `errorRecord(line, id, e)` turns either into an errors-file object. Records of a new shape are
// compiled on first use (through the compile cache, so a warm cache only imports the module).
// `createRecordRunner` itself throws user errors (unknown semiring, bad --wrt, unreadable params)
// before any record runs.

import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { bindTensors, fromNested, loadTensorFile, type TensorData, type TensorMap } from "../../runtime/weights.ts";
import { DEFAULT_TOPK, semiringNames } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { loadSemiringFiles, resolveSemirings } from "../cli/load.ts";
import { oneLine } from "../cli/output.ts";
import { jsonReport } from "../cli/report.ts";
import type { GeneratedModel } from "../compile.ts";
import { shapeOf } from "./affinity.ts";
import { CompileCache } from "./cache.ts";
import { ensureCompiled, loadStudyGraph, readShapeMeta, shapeKey, type Overrides, type ShapeMeta } from "./compileShape.ts";
import type { StudyOptions } from "./options.ts";
import { parseRecord, RecordError, type DatasetRecord, type OutputRecord, type RawRecord } from "./record.ts";
import { describeOverrides, openModel, overridesOf, type ModelInfo } from "./study.ts";
import { branchViewsJson, computeBranchViews } from "./views.ts";

/** Milliseconds a runner spent, cumulative: compiling shapes (or finding them in the cache), instantiating modules, running records. */
export interface RunnerTiming {
  compile: number;
  load: number;
  /** Instances created (a shape evicted from the LRU and met again counts again). */
  loads: number;
  run: number;
}

export interface RecordRunner {
  readonly info: ModelInfo;
  /** Input names: the record keys read as model inputs. */
  readonly inputNames: ReadonlySet<string>;
  /** Runs one record; throws a RecordError for a record the model cannot take. */
  run(record: RawRecord | DatasetRecord): Promise<OutputRecord>;
  /** Compiles the shape of `overrides` into the cache; the reason it cannot be, if so. */
  compile(overrides: Overrides): Promise<string | undefined>;
  readonly timing: Readonly<RunnerTiming>;
}

/** Compiled shapes a runner keeps instantiated at once (each holds its own memory, weights included). */
export const DEFAULT_MAX_MODELS = 2;

/** A compiled shape, ready to run (or the reason it cannot be). */
type Instance = { model: GeneratedModel; meta: ShapeMeta } | { error: string };

/** Ids read by gather must index a row of its table: the generated code does not check them. */
function checkVocab(meta: ShapeMeta, inputs: Record<string, TensorData>, record: DatasetRecord): void {
  for (const v of meta.vocab) {
    const ids = inputs[v.input]!;
    const shape = meta.inputs.find((t) => t.name === v.input)!.shape;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id >= 0 && id < v.vocab) continue;
      const at: number[] = [];
      for (let a = shape.length - 1, f = i; a >= 0; a--) {
        at.unshift(f % shape[a]!);
        f = Math.floor(f / shape[a]!);
      }
      throw new RecordError(record.line, record.id, `${v.input}${at.map((k) => `[${k}]`).join("")} = ${id} is outside the vocabulary: ${v.table} has ${v.vocab} rows (ids 0…${v.vocab - 1})`);
    }
  }
}

/**
 * The study's semirings as objects, for the branch views (which fold with the semiring's ⊕). Only
 * a user semiring needs the frontend: a warm cache otherwise never loads the model's source.
 */
async function semiringsOf(o: StudyOptions): Promise<Map<string, Semiring>> {
  const builtin = o.semirings.every((n) => (semiringNames as readonly string[]).includes(n));
  const user = builtin ? [] : [...(await loadStudyGraph(o, {})).own, ...(await loadSemiringFiles(o.semiringsFrom ?? []))];
  return new Map(resolveSemirings(o.semirings, user, o.topk ?? DEFAULT_TOPK).map((sr) => [sr.name, sr]));
}

/**
 * Reads the weights and checks them against the model at its own config (a user error, thrown
 * before any record runs); a checkpoint's extra tensors are allowed.
 */
export function loadParams(o: StudyOptions, info: ModelInfo): TensorMap {
  const params = loadTensorFile(o.params);
  bindTensors(info.base.params, params, o.params, { allowExtra: o.params.toLowerCase().endsWith(".safetensors") });
  // f32 weights as Float32Arrays once: every instance then gets the same arrays, which is how the
  // weight caches know that two instances share their weights.
  for (const t of info.base.params) {
    const p = params.get(t.name);
    if (t.dtype === "f32" && p && !(p.data instanceof Float32Array)) params.set(t.name, { ...p, data: Float32Array.from(p.data) });
  }
  return params;
}

export async function createRecordRunner(o: StudyOptions): Promise<RecordRunner> {
  // V8 compiles WebAssembly lazily, first with its baseline compiler (Liftoff), then again with
  // TurboFan once a function is hot. A study runs one module per length, each for several seconds:
  // the baseline pass is pure overhead there (BERT-6 f64, one length: its first record 1.5 s slower
  // than the next with it, 0.5 s without, and less CPU in all), and on a busy machine the tier-up
  // competes with the other workers for the cores. The flag is process-wide and only changes when
  // code is compiled, never what it computes.
  setFlagsFromString("--no-liftoff");
  const info = await openModel(o);
  const cache = new CompileCache(o.cacheDir);
  const params = loadParams(o, info);
  const allowExtra = o.params.toLowerCase().endsWith(".safetensors");
  const inputNames = new Set(info.base.inputs.map((t) => t.name));
  const maxModels = o.maxModels ?? DEFAULT_MAX_MODELS;
  const views = o.branchViews ?? [];
  const semirings = views.length > 0 ? await semiringsOf(o) : new Map<string, Semiring>();
  const timing: RunnerTiming = { compile: 0, load: 0, loads: 0, run: 0 };
  // Values computed from the weights alone (log|w|…), filled by the first instance and copied into
  // the next: they do not depend on the lengths (runtime/module/kernels.ts, fillCaches).
  const weightCaches = new Map<string, unknown>();
  // The weights bound per expected param list (the same for most lengths): checked once, not per instance.
  const boundParams = new Map<string, ReturnType<typeof bindTensors>>();
  // Most recently used last; each instance holds its own copy of the weights.
  const instances = new Map<string, Promise<Instance>>();

  // Shapes that cannot run (the model does not build, or the weights do not fit), kept for the
  // whole run so that every record of such a shape is refused without compiling again.
  const failed = new Map<string, string>();

  async function compile(overrides: Overrides): Promise<string | undefined> {
    const k = shapeOf(overrides);
    if (failed.has(k)) return failed.get(k);
    const t0 = performance.now();
    try {
      await ensureCompiled(o, overrides, cache);
      return undefined;
    } catch (e) {
      const why = describeOverrides(info, overrides);
      failed.set(k, `${why ? `with config ${why}: ` : ""}${oneLine(e)}`);
      return failed.get(k);
    } finally {
      timing.compile += performance.now() - t0;
    }
  }

  async function instantiate(overrides: Overrides): Promise<Instance> {
    const error = await compile(overrides);
    if (error !== undefined) return { error };
    const t0 = performance.now();
    try {
      return await load(overrides);
    } finally {
      timing.load += performance.now() - t0;
      timing.loads++;
    }
  }

  async function load(overrides: Overrides): Promise<Instance> {
    const key = shapeKey(o, overrides);
    const meta = readShapeMeta(cache, key);
    const expected = JSON.stringify(meta.params);
    let bound = boundParams.get(expected);
    try {
      bound ??= bindTensors(meta.params, params, o.params, { allowExtra });
      boundParams.set(expected, bound);
    } catch (e) {
      const why = describeOverrides(info, overrides);
      failed.set(shapeOf(overrides), `${why ? `with config ${why} the weights do not fit: ` : ""}${oneLine(e)}`);
      return { error: failed.get(shapeOf(overrides))! };
    }
    const mod = (await import(pathToFileURL(cache.pathOf(key, "mjs")).href)) as { createModel(p: Record<string, ArrayLike<number>>, o: { caches: Map<string, unknown> }): GeneratedModel };
    return { model: mod.createModel(bound.tensors, { caches: weightCaches }), meta };
  }

  function instanceFor(overrides: Overrides): Promise<Instance> {
    const k = shapeOf(overrides);
    let p = instances.get(k);
    if (p) instances.delete(k);
    else p = instantiate(overrides);
    instances.set(k, p);
    while (instances.size > maxModels) instances.delete(instances.keys().next().value!);
    return p;
  }

  async function run(given: RawRecord | DatasetRecord): Promise<OutputRecord> {
    const record = "text" in given ? parseRecord(given, inputNames) : given;
    const fail = (message: string) => new RecordError(record.line, record.id, message);
    const inst = await instanceFor(overridesOf(info, record));
    if ("error" in inst) throw fail(inst.error);
    const { model, meta } = inst;

    const given_: TensorMap = new Map();
    for (const [name, value] of Object.entries(record.inputs)) {
      try {
        given_.set(name, { dtype: "F32", ...fromNested(value, name, "record") });
      } catch (e) {
        throw fail(oneLine(e).replace(/^record: /, ""));
      }
    }
    let inputs: Record<string, TensorData>;
    try {
      inputs = bindTensors(meta.inputs, given_, "the record").tensors;
    } catch (e) {
      throw fail(oneLine(e));
    }
    checkVocab(meta, inputs, record);

    let r;
    const t0 = performance.now();
    try {
      r = model.run(inputs, { ...(o.aggregate ? { aggregate: { ...o.aggregate } } : {}), ...(o.topPath ? { topPath: o.topPath } : {}) });
    } catch (e) {
      if (e instanceof Error && e.constructor === Error) throw fail(oneLine(e));
      throw e;
    }
    if (Number.isNaN(r.output)) throw fail("the output is NaN");
    // Without branch values, their per-element conversion to JSON is skipped too (views read r.results).
    const shown = o.branchValues === false ? Object.fromEntries(Object.entries(r.results).map(([sr, x]) => [sr, { ...x, branches: {} }])) : r.results;
    const report = jsonReport({ output: r.output, results: shown }).results;
    const results = Object.fromEntries(
      Object.entries(report).map(([sr, v]) => {
        const value = r.results[sr]?.topPathValue;
        const withViews = views.length > 0 ? { branchViews: branchViewsJson(computeBranchViews(meta.points, semirings.get(sr)!, r.results[sr]!, views)) } : {};
        const { branches: _omitted, ...rest } = v as typeof v & { branches?: unknown };
        return [sr, { ...(o.branchValues === false ? rest : v), ...(value === undefined ? {} : { topPathValue: value }), ...withViews }];
      }),
    );
    timing.run += performance.now() - t0;
    const echoed = Object.fromEntries(meta.inputs.filter((t) => t.dtype === "i32").map((t) => [t.name, record.inputs[t.name]]));
    return { line: record.line, id: record.id, extra: record.extra, inputs: echoed, output: r.output, results };
  }

  return { info, inputNames, run, compile, timing };
}
