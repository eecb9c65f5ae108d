// `npm run bench [-- --quick] [-- --only bert|bert-seq32-expanded|transformer|mlp|dataset] [-- --records N (dataset)]`: semic's generated code against
// TensorFlow.js (cpu and wasm backends) on the same models and weights. Each (model, implementation)
// runs in its own process (bench/worker.ts), so peak memory is its own. Prints a table, writes
// bench/results/<time>.json, and on a full run rewrites bench/RESULTS.md.
//
// Per model: semic forward; semic backward per semiring (kernels only, on the last forward);
// maxprod's top-path walk; all three backwards sharing one forward (+ the walk); TF.js forward and
// tf.grad (its forward included) with respect to the same tensor. TF.js's output and gradient are
// checked against semic's (sumprod) before any number is reported.

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Spec, Stat, UnitResult } from "./worker.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1]!.split(",") : undefined;
const impls: Spec["impl"][] = ["semic", "tfjs-cpu", "tfjs-wasm"];

// BERT's real vocabulary (bert-base-uncased): the masked-LM head's log-softmax row is 30522 wide.
const BERT6 = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab: 30522, maskPos: 3, target: 7 };
const BERT_QUICK = { layers: 2, hidden: 256, heads: 4, intermediate: 1024, vocab: 30522, maskPos: 3, target: 7 };

interface Bench {
  key: string;
  label: string;
  base: Omit<Spec, "impl" | "reps" | "warmup" | "budgetMs" | "seed" | "warmupMs">;
}

const benches: Bench[] = [
  ...(quick ? [16] : [16, 32, 64]).map((seq) => ({
    key: `bert-seq${seq}`,
    label: quick ? `BERT-2 (h256, 4 heads, FFN 1024, vocab 30522) seq ${seq}` : `BERT-6 (h512, 8 heads, FFN 2048, vocab 30522) seq ${seq}`,
    base: { model: "bert" as const, file: "examples/bert.ts", config: { ...(quick ? BERT_QUICK : BERT6), seq }, wrt: "embeddings" },
  })),
  // The paper's granularity: LayerNorm and softmax as elementary ops, so no dense per-row Jacobian.
  {
    key: `bert-seq${quick ? 16 : 32}-expanded`,
    label: `${quick ? "BERT-2" : "BERT-6"} seq ${quick ? 16 : 32}, --expand layerNorm,softmax`,
    base: { model: "bert" as const, file: "examples/bert.ts", config: { ...(quick ? BERT_QUICK : BERT6), seq: quick ? 16 : 32 }, wrt: "embeddings", expand: ["layer_norm", "softmax"] },
  },
  {
    key: "transformer",
    label: "paper 1-layer transformer (trained; seq 6, d 16)",
    base: { model: "transformer", file: "examples/transformer.ts", config: {}, wrt: "embeddings", params: "examples/transformer.params.json", inputs: "examples/transformer.inputs.json" },
  },
  {
    key: "mlp",
    label: "MLP 4→16→3",
    base: { model: "mlp", file: "examples/mlp.ts", config: {}, wrt: "x", params: "examples/mlp.params.json", inputs: "examples/mlp.inputs.json" },
  },
];

function runUnit(spec: Spec): UnitResult {
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  const r = spawnSync(tsx, [path.join(here, "worker.ts"), JSON.stringify(spec)], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${spec.model} ${spec.impl} failed:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(line.slice(7)) as UnitResult;
}

function machine() {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  let nproc = String(os.availableParallelism?.() ?? os.cpus().length);
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    /* keep the os value */
  }
  const pkg = (name: string) => JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version as string;
  return { cpu: model, nproc, node: process.version, platform: `${os.platform()} ${os.arch()}`, tfjs: pkg("@tensorflow/tfjs-core"), memGB: (os.totalmem() / 2 ** 30).toFixed(1) };
}

const fmt = (s: Stat | undefined) =>
  !s ? "—" : s.median < 0.1 ? `${(s.median * 1000).toFixed(1)} µs` : s.median < 10 ? s.median.toFixed(2) : s.median < 100 ? s.median.toFixed(1) : s.median.toFixed(0);
const range = (s: Stat | undefined) => (s ? `${fmt({ ...s, median: s.min })}–${fmt({ ...s, median: s.max })}` : "");
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "—");

interface Row {
  bench: Bench;
  units: Partial<Record<Spec["impl"], UnitResult>>;
  check: { outputRelErr: Record<string, number>; gradRelErr: Record<string, number> };
}

function compare(a: UnitResult, b: UnitResult) {
  const outputRelErr = Math.abs(a.output - b.output) / Math.max(Math.abs(a.output), 1e-12);
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < a.grad.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a.grad[i]! - b.grad[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(a.grad[i]!));
  }
  return { outputRelErr, gradRelErr: a.grad.length === b.grad.length ? maxDiff / Math.max(maxAbs, 1e-30) : Infinity };
}

const started = Date.now();
const info = machine();
console.log(`semic benchmarks${quick ? " (quick)" : ""} — ${info.cpu}, nproc ${info.nproc}, node ${info.node}, tfjs ${info.tfjs}`);
const rows: Row[] = [];
for (const bench of benches) {
  if (only && !only.some((o) => bench.key.startsWith(o))) continue;
  const small = bench.base.model !== "bert";
  const row: Row = { bench, units: {}, check: { outputRelErr: {}, gradRelErr: {} } };
  for (const impl of impls) {
    const spec: Spec = {
      ...bench.base,
      impl,
      reps: small ? (quick ? 50 : 200) : quick ? 5 : 11,
      warmup: small ? 20 : quick ? 1 : 3,
      budgetMs: quick ? 1500 : impl === "tfjs-cpu" ? 8000 : 5000,
      warmupMs: small ? 300 : quick ? 1500 : impl === "tfjs-cpu" ? 1000 : 3000,
      seed: 1,
    };
    process.stdout.write(`  ${bench.key} ${impl}… `);
    const t0 = Date.now();
    const u = runUnit(spec);
    row.units[impl] = u;
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const s = row.units.semic!;
  for (const impl of ["tfjs-cpu", "tfjs-wasm"] as const) {
    const c = compare(s, row.units[impl]!);
    row.check.outputRelErr[impl] = c.outputRelErr;
    row.check.gradRelErr[impl] = c.gradRelErr;
    const tol = 1e-3;
    if (!(c.outputRelErr < tol && c.gradRelErr < 1e-2))
      throw new Error(`${bench.key}: ${impl} disagrees with semic (output rel. error ${c.outputRelErr}, gradient ${c.gradRelErr}): the comparison would not be honest`);
  }
  rows.push(row);
}

// ---------------------------------------------------------------- report

const lines: string[] = [];
const out = (l = "") => {
  lines.push(l);
  console.log(l);
};
out();
out(`| model | impl | forward | sumprod bwd | maxprod bwd (+path) | entropy bwd | all 3 + path, one forward | grad (fwd+bwd) | peak RSS (data²) |`);
out(`|---|---|---|---|---|---|---|---|---|`);
for (const r of rows) {
  const s = r.units.semic!;
  const t = s.times;
  const mp = t["backward:maxprod"]!, path_ = t["path:maxprod"]!;
  out(`| ${r.bench.label} | semic | ${fmt(t["forward"])} | ${fmt(t["backward:sumprod"])} | ${fmt(mp)} (+${fmt(path_)}) | ${fmt(t["backward:entropy"])} | ${fmt(t["all3"])} | ${fmt({ ...mp, median: t["forward"]!.median + t["backward:sumprod"]!.median })}¹ | ${s.memory.maxRssMB.toFixed(0)} MB (${s.memory.dataMB.toFixed(0)} MB) |`);
  if (t["1thread:forward"]) {
    const o = (k: string) => t[`1thread:${k}`];
    out(`| | semic, 1 thread | ${fmt(o("forward"))} | ${fmt(o("backward:sumprod"))} | ${fmt(o("backward:maxprod"))} | ${fmt(o("backward:entropy"))} | ${fmt(o("all3"))} | ${fmt({ ...o("forward")!, median: o("forward")!.median + o("backward:sumprod")!.median })}¹ | |`);
  }
  for (const impl of ["tfjs-cpu", "tfjs-wasm"] as const) {
    const u = r.units[impl]!;
    out(`| | TF.js ${impl.slice(5)} | ${fmt(u.times["forward"])} | | | | | ${fmt(u.times["grad"])} | ${u.memory.maxRssMB.toFixed(0)} MB (${u.memory.dataMB.toFixed(0)} MB) |`);
  }
}
out();
out(`Times are medians in ms (${quick ? "quick run" : "full run"}) after warm-up; min–max and repeat counts below and in the JSON. ¹ semic forward + sumprod backward, for comparison with tf.grad (which runs its forward). ² semic: its WebAssembly memory (parameters, values, adjoints of the three semirings, caches); TF.js: tf.profile's peak tensor bytes during tf.grad. Peak RSS is the whole process (Node, tsx, the compiler, the model).`);
out();
out(`<details><summary>every measurement: median [min–max] ×repeats</summary>`);
out();
out(`| model | impl | measurement | ms |`);
out(`|---|---|---|---|`);
for (const r of rows)
  for (const [impl, u] of Object.entries(r.units))
    for (const [k, st] of Object.entries(u.times)) out(`| ${r.bench.key} | ${impl} | ${k} | ${fmt(st)} [${range(st)}] ×${st.n} |`);
out();
out(`</details>`);
out();
out(`| model | sumprod bwd / best TF.js grad | maxprod (+path) / semic fwd | entropy / semic fwd | all 3 / TF.js-wasm grad | TF.js check: output, gradient (rel.) |`);
out(`|---|---|---|---|---|---|`);
for (const r of rows) {
  const t = r.units.semic!.times;
  const best = Math.min(r.units["tfjs-cpu"]!.times["grad"]!.median, r.units["tfjs-wasm"]!.times["grad"]!.median);
  const fwd = t["forward"]!.median;
  const mp = t["backward:maxprod"]!.median + t["path:maxprod"]!.median;
  const chk = `${r.check.outputRelErr["tfjs-wasm"]!.toExponential(1)}, ${r.check.gradRelErr["tfjs-wasm"]!.toExponential(1)}`;
  out(`| ${r.bench.label} | ${ratio(t["backward:sumprod"]!.median, best)} | ${ratio(mp, fwd)} | ${ratio(t["backward:entropy"]!.median, fwd)} | ${ratio(t["all3"]!.median, r.units["tfjs-wasm"]!.times["grad"]!.median)} | ${chk} |`);
}
out();
const compileRows = rows.filter((r) => r.bench.base.model === "bert");
for (const r of compileRows) {
  const c = r.units.semic!.compile!;
  out(`compile ${r.bench.label}: load ${c.loadMs.toFixed(0)} ms + compile (3 semirings, JS + ${c.wasmKernels} WASM kernels) ${c.compileMs.toFixed(0)} ms = ${(c.loadMs + c.compileMs).toFixed(0)} ms; import + createModel ${c.importMs.toFixed(0)} ms; ${(c.jsBytes / 1024).toFixed(0)} KB of JS`);
}

// Targets (BERT rows).
const verdict = (ok: boolean) => (ok ? "MET" : "not met");
const targets: string[] = [];
for (const r of rows.filter((x) => x.bench.base.model === "bert")) {
  const t = r.units.semic!.times;
  const best = Math.min(r.units["tfjs-cpu"]!.times["grad"]!.median, r.units["tfjs-wasm"]!.times["grad"]!.median);
  const fwd = t["forward"]!.median;
  const mp = t["backward:maxprod"]!.median + t["path:maxprod"]!.median;
  const one = t["1thread:backward:sumprod"];
  targets.push(`${r.bench.key}: (a) sumprod bwd ${fmt(t["backward:sumprod"])}${one ? ` (1 thread ${fmt(one)})` : ""} ≤ best TF.js grad ${best.toFixed(1)}: ${verdict(t["backward:sumprod"]!.median <= best)}${one ? ` (1 thread: ${verdict(one.median <= best)})` : ""}; ` +
    `(b) maxprod+path ${mp.toFixed(1)} ≤ 3×fwd ${(3 * fwd).toFixed(1)}: ${verdict(mp <= 3 * fwd)}, entropy ${fmt(t["backward:entropy"])} ≤ 3×fwd: ${verdict(t["backward:entropy"]!.median <= 3 * fwd)}`);
  if (r.bench.key === "bert-seq32") targets.push(`bert-seq32: (c) all three ${fmt(t["all3"])}${t["1thread:all3"] ? ` (1 thread ${fmt(t["1thread:all3"])})` : ""} < TF.js-wasm grad ${fmt(r.units["tfjs-wasm"]!.times["grad"])}: ${verdict(t["all3"]!.median < r.units["tfjs-wasm"]!.times["grad"]!.median)}`);
  if (r.bench.base.expand) targets.push(`${r.bench.key}: (e) entropy ${fmt(t["backward:entropy"])} ≤ 4×fwd ${(4 * fwd).toFixed(1)}: ${verdict(t["backward:entropy"]!.median <= 4 * fwd)}`);
  if (r.bench.key === "bert-seq32") {
    const c = r.units.semic!.compile!;
    targets.push(`bert-seq32: (d) load + compile ${(c.loadMs + c.compileMs).toFixed(0)} ms < 3000 ms: ${verdict(c.loadMs + c.compileMs < 3000)}`);
  }
}
out();
for (const t of targets) out(t);
// The dataset row: a study over BERT-6 inputs of mixed lengths (bench/dataset.ts, its own process).
if (!only || only.includes("dataset")) {
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  const r = spawnSync(tsx, [path.join(here, "dataset.ts"), ...(args.includes("--records") ? ["--records", args[args.indexOf("--records") + 1]!] : quick ? ["--records", "8"] : [])], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`bench/dataset.ts failed (exit ${r.status})`);
  out();
  for (const l of r.stdout.split("\n").filter((l) => l.startsWith("|") || l.startsWith("dataset:"))) out(l);
}
const elapsed = (Date.now() - started) / 1000;
out();
out(`machine: ${info.cpu}, nproc ${info.nproc}, ${info.memGB} GB, ${info.platform}, node ${info.node}, @tensorflow/tfjs-* ${info.tfjs}; total bench time ${elapsed.toFixed(0)} s`);

fs.mkdirSync(path.join(here, "results"), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const file = path.join(here, "results", `${quick ? "quick" : "full"}-${stamp}.json`);
fs.writeFileSync(file, JSON.stringify({ machine: info, quick, elapsedS: elapsed, rows: rows.map((r) => ({ key: r.bench.key, label: r.bench.label, check: r.check, units: Object.fromEntries(Object.entries(r.units).map(([k, u]) => [k, { ...u, grad: u.grad.length }])) })) }, null, 1));
console.log(`\nresults: ${path.relative(root, file)}`);
if (!quick && !only) {
  const md = [
    `# semic benchmark results`,
    ``,
    `Written by \`npm run bench\` (bench/run.ts) from its last full run. Machine: ${info.cpu}, \`nproc\` ${info.nproc}, ${info.memGB} GB RAM, ${info.platform}, Node ${info.node}, TensorFlow.js ${info.tfjs} (tfjs-core with the cpu and wasm backends; the wasm backend runs SIMD, single-threaded — its multithreaded build is unavailable in Node).`,
    ``,
    `semic: generated JS module, f32 buffers, kernels compiled to WebAssembly SIMD (f32x4), big kernels split over 2 threads (worker_threads; the "1 thread" row is the same module without them); the three semirings compiled together share one forward pass. Backward times are the backward kernels on the last forward's values; "all 3" is one forward, the three backwards and maxprod's top-path walk.`,
    ``,
    `TF.js: the same model in tfjs ops on the same weights (bench/tfjs.ts), differentiated with tf.grad with respect to the same tensor (the BERT and transformer embeddings output, the MLP input); its output and gradient are checked against semic's before any time is reported. TF.js gets its fastest formulation: linear weights pre-transposed once to [in, out] (its matMul with transposeB is ~14× slower on the wasm backend) and a custom gradient for x·wᵀ + b giving dx = dy·w (its MatMul gradient would go through transposeB again). With the stock formulation TF.js-wasm needed 511 ms forward and 633 ms for tf.grad at BERT-6 seq 32.`,
    ``,
    `What the kernels do, and what limits them. Contractions and row reductions are WebAssembly SIMD loops with register tiles, loop-invariant hoisting and CSE (compiler/backends/js/vectorize.ts), read off the kernel structure, never an op or semiring name. When ⊕ is +, a dense row Jacobian times an adjoint that separates into per-row sums (LayerNorm, softmax, log-softmax) becomes O(n) per row. An ⊕ that evaluates as log-sum-exp (entropy, logsum) accumulates scaled sums Σ e^(t−M) instead of one logaddexp per edge, its other lanes as ordinary products (|w|·log|w| cached per weight element), and sums a block again with a per-element reference where the row scaling cannot hold its terms. Select conditions constant per row ("adjoint is 0̄", the order of a sign-select's pair) are versioned. log|w| of parameters is computed once at createModel. Adjoint rows at 0̄ are skipped. What remains: max-product and entropy cannot factor LayerNorm's dense Jacobian (seq·n² edges; entropy needs a log per edge, since those weights depend on the row), and each of their edges costs several vector operations where a multiply-add suffices for the gradient, so their backward stays several forwards long.`,
    ``,
    ...lines,
    ``,
  ].join("\n");
  fs.writeFileSync(path.join(here, "RESULTS.md"), md);
  console.log(`summary: bench/RESULTS.md`);
}
