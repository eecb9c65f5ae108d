// `npx tsx bench/checks.ts [--seq N]`: what the generated module's run-time checks cost on BERT-6
// (h512, 8 heads, FFN 2048): the argument checks of createModel and run(), and the non-finite scan
// of the forward values, each against the call it belongs to, timed in one process.

import { buildBackward, defaultWrt } from "../compiler/backward.ts";
import { allFiniteFunc } from "../compiler/backends/js/allFinite.ts";
import { renderJsModule } from "../compiler/backends/js/module.ts";
import { ModuleBuilder } from "../compiler/backends/js/wasm.ts";
import { tensorSpecs, valueInfos } from "../compiler/backends/moduleSpecs.ts";
import { importModule, type GeneratedModel } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import { semirings } from "../ir/semirings/index.ts";
import { checkRunOptions, checkTensors } from "../runtime/module/args.ts";
import { scanForward, type ScanCache } from "../runtime/module/finite.ts";
import { modelInputs, randomParams } from "./models.ts";

const seqArg = process.argv.indexOf("--seq");
const seq = seqArg > 0 ? Number(process.argv[seqArg + 1]) : 32;
const config = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab: 1000, maskPos: 3, target: 7, seq };
const graph = loadModel("examples/bert.ts", { config }).graph;
const plan = buildBackward(graph, defaultWrt(graph));
const srs = [semirings.sumprod, semirings.maxprod, semirings.entropy];
const { js } = renderJsModule(plan, srs);
const mod = (await importModule(js)) as unknown as { createModel(p: unknown): GeneratedModel };
const params = randomParams(graph, 1);
const inputs = modelInputs(graph);

/** Median ms of `n` calls (after one warm-up). */
function median(n: number, fn: () => void): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

const specs = tensorSpecs(graph);
const infos = valueInfos(plan);
// Buffers the size of the forward values (finite: the scan's full pass, its cost when nothing is wrong).
const buffers = infos.map((v) => (v.alias === undefined ? new Float32Array(v.shape.reduce((a, b) => a * b, 1)).fill(0.5) : null));
const elements = buffers.reduce((a, b) => a + (b?.length ?? 0), 0);
const space = { semirings: srs.map((s) => s.name), wrt: {}, branches: {} };

let model: GeneratedModel | undefined;
const create = median(3, () => (model = mod.createModel(params)));
const paramChecks = median(5, () => checkTensors("createModel()", "parameter", params, specs.params));
const runAll = median(5, () => model!.run(inputs));
const runSum = median(9, () => model!.run(inputs, { semirings: ["sumprod"] }));
const argChecks = median(101, () => {
  checkTensors("run()", "input", inputs, specs.inputs);
  checkRunOptions("run()", { semirings: ["sumprod"] }, space);
});
// Params are scanned once per model (the first run fills the cache), so a run scans activations only.
const cache: ScanCache = [];
const scan = median(21, () => scanForward(buffers, infos, cache));
const activations = infos.reduce((a, v, i) => a + (v.fixed ? 0 : (buffers[i]?.length ?? 0)), 0);
// The module's fast path: all_finite (WebAssembly SIMD) over the same buffers, laid out 64-byte
// aligned in one shared memory as the module lays them out.
const spans: [number, number][] = [];
let at = 64;
infos.forEach((v, i) => {
  if (v.fixed || !buffers[i]) return;
  spans.push([at, buffers[i].length]);
  at += Math.ceil((buffers[i].length * 4) / 64) * 64;
});
const pages = Math.ceil((at + 64) / 65536);
const wasmModule = new ModuleBuilder(pages);
wasmModule.addFunc(allFiniteFunc("f32"), "all_finite");
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
for (const [offset, length] of spans) new Float32Array(memory.buffer, offset, length).fill(0.5);
const { all_finite } = new WebAssembly.Instance(new WebAssembly.Module(wasmModule.encode()), { env: { memory } }).exports as { all_finite: (a: number, n: number) => number };
const simdScan = median(21, () => {
  for (const [offset, length] of spans) if (all_finite(offset, length) !== 1) throw new Error("not finite");
});
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)}%`;
const ms = (x: number) => `${x.toPrecision(3)} ms`;
console.log(`BERT-6 seq ${seq}: ${graph.nodes.length} nodes, ${infos.length} forward values (${elements} f32 elements, ${activations} not params)`);
console.log(`createModel ${ms(create)}; its parameter checks ${ms(paramChecks)} (${pct(paramChecks, create)})`);
console.log(`run() checks: arguments ${ms(argChecks)}, non-finite scan ${ms(simdScan)} (WebAssembly SIMD; ${ms(scan)} in JS, where WebAssembly is missing)`);
const total = argChecks + simdScan;
console.log(`  of run (sumprod, maxprod, entropy) ${ms(runAll)}: ${pct(total, runAll)} (JS scan: ${pct(argChecks + scan, runAll)})`);
console.log(`  of run (sumprod only) ${ms(runSum)}: ${pct(total, runSum)} (JS scan: ${pct(argChecks + scan, runSum)})`);
process.exit(0);
