// One benchmark unit in its own process (so peak memory is its own): one model with one
// implementation — semic's generated code, or TensorFlow.js on the cpu or wasm backend.
// `tsx bench/worker.ts '<json spec>'` prints one line: `RESULT <json>`.

import v8 from "node:v8";
import { compileGraph, importModule } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import { expandFor } from "../compiler/semantics.ts";
import type { Graph } from "../ir/graph.ts";
import type { Composite } from "../ir/passes/expand.ts";
import { semirings } from "../ir/semirings/index.ts";
import { loadTensorFile } from "../runtime/weights.ts";
import { modelInputs, randomParams } from "./models.ts";
import * as tfModels from "./tfjs.ts";

export interface Spec {
  /** Benchmark model key: "bert" | "transformer" | "mlp". */
  model: "bert" | "transformer" | "mlp";
  file: string;
  config: Record<string, number | boolean>;
  /** The tensor differentiated with respect to. */
  wrt: string;
  /** Composites expanded into elementary ops before compiling (semic; TF.js computes the same function). */
  expand?: Composite[];
  /** JSON params/inputs files; random (seeded) params and inputs when absent. */
  params?: string;
  inputs?: string;
  impl: "semic" | "tfjs-cpu" | "tfjs-wasm";
  reps: number;
  warmup: number;
  /** Stop repeating a measurement after this many ms (at least 3 reps). */
  budgetMs: number;
  /**
   * Run the whole workload for this long before measuring: worker threads start, and V8 tiers the
   * WebAssembly kernels up from its baseline compiler in the background (on this machine's 2 cores).
   */
  warmupMs: number;
  seed: number;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface UnitResult {
  spec: Spec;
  output: number;
  /** The gradient with respect to spec.wrt (semic: sumprod), for the cross-check. */
  grad: number[];
  times: Record<string, Stat>;
  compile?: { loadMs: number; compileMs: number; importMs: number; jsBytes: number; wasmKernels: number };
  memory: { maxRssMB: number; heapPeakMB: number; dataMB: number };
  notes: string[];
}

const SEMIRINGS = ["sumprod", "maxprod", "entropy"] as const;

let heapPeak = 0;
const sampleHeap = () => (heapPeak = Math.max(heapPeak, v8.getHeapStatistics().used_heap_size));

function measure(fn: () => void, spec: Spec): Stat {
  for (let i = 0; i < spec.warmup; i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < spec.reps && (samples.length < 3 || performance.now() - start < spec.budgetMs)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
    sampleHeap();
  }
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  const median = samples.length % 2 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
  return { median, min: samples[0]!, max: samples[samples.length - 1]!, n: samples.length };
}

function fileParams(path: string): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of loadTensorFile(path)) out[name] = Float32Array.from(t.data);
  return out;
}

function fileInputs(path: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, t] of loadTensorFile(path)) out[name] = Array.from(t.data);
  return out;
}

function setup(spec: Spec): { graph: Graph; params: Record<string, Float32Array>; inputs: Record<string, number[]>; loadMs: number } {
  const t0 = performance.now();
  const loaded = loadModel(spec.file, { config: spec.config as Record<string, number> }).graph;
  const graph = spec.expand ? expandFor(loaded, "element", spec.expand) : loaded;
  const loadMs = performance.now() - t0;
  const params = spec.params ? fileParams(spec.params) : randomParams(graph, spec.seed);
  const inputs = spec.inputs ? fileInputs(spec.inputs) : modelInputs(graph, spec.seed);
  return { graph, params, inputs, loadMs };
}

interface BenchModel {
  forward(inputs: Record<string, ArrayLike<number>>): number;
  backward(name: string): void;
  topPath(name: string): unknown;
  run(inputs: Record<string, ArrayLike<number>>, options?: object): { output: number; results: Record<string, { wrt: Record<string, { value: Float64Array }> }> };
}

async function semic(spec: Spec): Promise<UnitResult> {
  const { graph, params, inputs, loadMs } = setup(spec);
  const t1 = performance.now();
  const { js } = compileGraph(graph, { semirings: SEMIRINGS.map((s) => semirings[s]), wrt: [spec.wrt], precision: "f32" });
  const compileMs = performance.now() - t1;
  const t2 = performance.now();
  const mod = await importModule(js.js);
  const model = mod.createModel(params) as unknown as BenchModel;
  const importMs = performance.now() - t2;
  // Direct calls, thread-split calls, and calls followed by a JS tail (`if (K) {` on the line before).
  const wasmKernels = (js.js.match(/^\s*(?:if \(K\) )?(?:K\.\w+\(|par\(\d+, K\.)/gm) ?? []).length;
  const all3 = () => {
    model.forward(inputs);
    for (const s of SEMIRINGS) model.backward(s);
    model.topPath("maxprod");
  };
  for (const until = performance.now() + spec.warmupMs; performance.now() < until; ) all3();
  const times: Record<string, Stat> = {};
  times["forward"] = measure(() => model.forward(inputs), spec);
  model.forward(inputs);
  for (const s of SEMIRINGS) times[`backward:${s}`] = measure(() => model.backward(s), spec);
  model.backward("maxprod");
  times["path:maxprod"] = measure(() => model.topPath("maxprod"), spec);
  times["all3"] = measure(all3, spec);
  times["run:all3"] = measure(() => model.run(inputs), { ...spec, reps: Math.min(spec.reps, 5), warmup: 1 });
  const memBytes = Number(/const memoryPages = (\d+);/.exec(js.js)?.[1] ?? 0) * 65536;
  // Peak memory of this model alone, before the single-thread copy below is created.
  const mem = memory(memBytes);
  // The same module on one thread (TF.js's wasm backend runs single-threaded in Node).
  if (spec.model === "bert") {
    const { renderJsModule } = await import("../compiler/backends/js/module.ts");
    const { buildBackward } = await import("../compiler/backward.ts");
    const one = renderJsModule(buildBackward(graph, [spec.wrt]), SEMIRINGS.map((s) => semirings[s]), { precision: "f32", threads: false });
    const m1 = (await importModule(one.js)).createModel(params) as unknown as BenchModel;
    for (const until = performance.now() + spec.warmupMs; performance.now() < until; ) {
      m1.forward(inputs);
      for (const s of SEMIRINGS) m1.backward(s);
    }
    times["1thread:forward"] = measure(() => m1.forward(inputs), spec);
    m1.forward(inputs);
    for (const s of SEMIRINGS) times[`1thread:backward:${s}`] = measure(() => m1.backward(s), spec);
    times["1thread:all3"] = measure(() => {
      m1.forward(inputs);
      for (const s of SEMIRINGS) m1.backward(s);
      m1.topPath("maxprod");
    }, spec);
  }
  const res = model.run(inputs, { semirings: ["sumprod"], topPath: false });
  return {
    spec,
    output: res.output,
    grad: Array.from(res.results["sumprod"]!.wrt[spec.wrt]!.value),
    times,
    compile: { loadMs, compileMs, importMs, jsBytes: js.js.length, wasmKernels },
    memory: mem,
    notes: [],
  };
}

async function tfjs(spec: Spec): Promise<UnitResult> {
  const tf = await import("@tensorflow/tfjs-core");
  await registerGradients();
  const backend = spec.impl === "tfjs-cpu" ? "cpu" : "wasm";
  if (backend === "cpu") await import("@tensorflow/tfjs-backend-cpu");
  else await import("@tensorflow/tfjs-backend-wasm");
  await tf.setBackend(backend);
  await tf.ready();
  const notes: string[] = [];
  if (backend === "wasm") {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    notes.push(`wasm: simd ${simd}, multithread ${threads}`);
  }
  const { params, inputs } = setup(spec);
  const P: tfModels.Params = {};
  const { graph } = loadModel(spec.file, { config: spec.config as Record<string, number> });
  for (const n of graph.nodes) if (n.op === "param") P[String(n.attrs["name"])] = tf.tensor(params[String(n.attrs["name"])]!, n.type.shape as number[], "float32");
  const c = spec.config as Record<string, number>;
  const m =
    spec.model === "bert"
      ? tfModels.bert({ layers: c["layers"]!, hidden: c["hidden"]!, heads: c["heads"]!, seq: c["seq"]!, maskPos: c["maskPos"] ?? 3, target: c["target"] ?? 7 })
      : spec.model === "transformer"
        ? tfModels.transformer({ seq: c["seq"] ?? 6, d: c["d"] ?? 16, heads: c["heads"] ?? 1, target: c["target"] ?? 1, layerNorm: Boolean(c["layerNorm"] ?? false) })
        : tfModels.mlp({ target: c["target"] ?? 1 });
  m.prepare(tf, P);
  const x = m.input(tf, P, inputs);
  const f = (t: tfModels.Params[string]) => m.f(tf, P, t);
  const grad = tf.grad(f);
  for (const until = performance.now() + spec.warmupMs; performance.now() < until; ) tf.tidy(() => grad(x).dataSync());
  const times: Record<string, Stat> = {};
  times["forward"] = measure(() => tf.tidy(() => f(x).dataSync()), spec);
  times["grad"] = measure(() => tf.tidy(() => grad(x).dataSync()), spec);
  const output = tf.tidy(() => f(x).dataSync()[0]!);
  const g = tf.tidy(() => Array.from(grad(x).dataSync()));
  const prof = await tf.profile(() => tf.tidy(() => grad(x)));
  notes.push(`tf.profile peak tensor memory during tf.grad: ${(prof.peakBytes / 2 ** 20).toFixed(1)} MB`);
  return { spec, output, grad: g, times, memory: memory(prof.peakBytes), notes };
}

/**
 * tf.grad needs tfjs-core's gradient registrations, which its Node bundle does not include (they
 * ship as ESM files with directory imports that Node cannot resolve). esbuild (tsx's) bundles them
 * once; they register into tfjs's global registry and run ops through its global engine.
 */
async function registerGradients(): Promise<void> {
  const { createRequire } = await import("node:module");
  const path = await import("node:path");
  const fs = await import("node:fs");
  const os = await import("node:os");
  const require = createRequire(import.meta.url);
  const entry = path.join(path.dirname(require.resolve("@tensorflow/tfjs-core/package.json")), "dist", "register_all_gradients.js");
  const out = path.join(os.tmpdir(), `semic-bench-tfjs-gradients-${process.pid}.mjs`);
  const esbuild = (await import("esbuild")) as unknown as { buildSync(o: object): unknown };
  esbuild.buildSync({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", outfile: out, logLevel: "error" });
  try {
    await import(out);
  } finally {
    fs.rmSync(out, { force: true });
  }
}

function memory(dataBytes: number) {
  sampleHeap();
  return {
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    heapPeakMB: heapPeak / 2 ** 20,
    dataMB: dataBytes / 2 ** 20,
  };
}

const spec = JSON.parse(process.argv[2]!) as Spec;
const result = spec.impl === "semic" ? await semic(spec) : await tfjs(spec);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
