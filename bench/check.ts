// Checks semic's WebAssembly kernels against its JS loops (the reference spelling of the same
// kernels) on a model, for every semiring lane and the top path, in f64 and f32:
// `tsx bench/check.ts [model.ts] [--config k=v …]` (default: a 2-layer BERT).

import { loadModel } from "../compiler/frontend/index.ts";
import { renderJsModule } from "../compiler/backends/js/module.ts";
import { buildBackward } from "../compiler/backward.ts";
import { importModule } from "../compiler/compile.ts";
import { semirings, topk } from "../ir/semirings/index.ts";
import { modelInputs, randomParams } from "./models.ts";

const args = process.argv.slice(2);
const file = args.find((a) => a.endsWith(".ts")) ?? "examples/bert.ts";
const config: Record<string, string> = file.includes("bert") ? { layers: "2", hidden: "64", heads: "4", intermediate: "128", vocab: "50", seq: "8" } : {};
args.forEach((a, i) => args[i - 1] === "--config" && Object.assign(config, Object.fromEntries([a.split("=")])));
const { graph } = loadModel(file, { config });
const wrt = graph.nodes.some((n) => n.attrs["label"] === "embeddings") ? "embeddings" : String(graph.nodes.find((n) => n.op === "input")!.attrs["name"]);
// Every semiring in one module: kernels of one semiring must not disturb another's (shared caches).
const srs = [...Object.values(semirings), topk(2)];
const plan = buildBackward(graph, [wrt]);
const params = randomParams(graph, 3);
const inputs = modelInputs(graph, 3);
let failed = false;
for (const precision of ["f64", "f32"] as const) {
  const tol = precision === "f64" ? 1e-9 : 2e-4;
  const res = [];
  for (const wasm of [false, true]) {
    const mod = await importModule(renderJsModule(plan, srs, { precision, wasm }).js);
    res.push(mod.createModel(params).run(inputs));
  }
  const [js, wa] = res as [typeof res[0], typeof res[0]];
  const outErr = Math.abs(js.output - wa.output) / Math.max(1, Math.abs(js.output));
  console.log(`${precision}: output ${js.output} vs ${wa.output}`);
  failed ||= !(outErr <= tol);
  for (const sr of srs) {
    const a = js.results[sr.name]!, b = wa.results[sr.name]!;
    for (const lane of sr.lanes) {
      const x = a.wrt[wrt]!.lanes[lane]!, y = b.wrt[wrt]!.lanes[lane]!;
      let worst = 0, scale = 0;
      for (let i = 0; i < x.length; i++) {
        scale = Math.max(scale, Number.isFinite(x[i]!) ? Math.abs(x[i]!) : 0);
        const d = x[i] === y[i] ? 0 : Math.abs(x[i]! - y[i]!);
        worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
      }
      const rel = worst / Math.max(scale, 1e-30);
      const ok = rel <= tol;
      failed ||= !ok;
      console.log(`  ${sr.name}.${lane}: max |Δ| ${worst.toExponential(2)} (relative to max |x| ${rel.toExponential(2)}) ${ok ? "ok" : "MISMATCH"}`);
    }
    if (a.topPath) {
      const same = a.topPath.length === b.topPath!.length && Math.abs(a.topPathValue! - b.topPathValue!) <= tol * Math.abs(a.topPathValue!);
      failed ||= !same && precision === "f64";
      console.log(`  ${sr.name} top path: ${a.topPath.length} steps, ${a.topPathValue} vs ${b.topPath!.length} steps, ${b.topPathValue} ${same ? "ok" : "differs"}`);
    }
  }
}
if (failed) {
  console.log("FAILED");
  process.exit(1);
}
console.log("WASM kernels agree with the JS loops");
