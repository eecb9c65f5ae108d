// `npm run bench -- --only dataset [--records N]` (or `tsx bench/dataset.ts [--records N] [--precision f32] [--length N] [--no-branch-values]`): a study
// over a dataset, timed. 200 inputs of the BERT-6 encoder (h512, 8 heads, FFN 2048) at its real
// vocabulary 30522, lengths drawn between 8 and 40, three semirings (sumprod, maxprod, entropy),
// through `semic run --dataset` (runStudy), three runs on one compile cache: 1 worker with the
// cache cold (every length compiled), 1 worker warm (every length found in it), 2 workers warm.
// Reported: records/s, the speed-up of 2 workers over 1 (warm), and where the workers' time went:
// compiling (a warm cache only looks the shape up) and instantiating (importing the cached module
// and createModel, which copies the weights and the caches computed from them) against running records.
// Seeded random weights (bench/models.ts); f64 buffers, the default of `semic run`, or
// `--precision f32` (half the bytes per buffer: about twice the records/s on BERT-6).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../compiler/frontend/index.ts";
import type { StudyOptions } from "../compiler/study/options.ts";
import { runStudy } from "../compiler/study/run.ts";
import { writeSafetensors } from "../runtime/weights.ts";
import { randomParams, rng } from "./models.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const args = process.argv.slice(2);
const records = args.includes("--records") ? Number(args[args.indexOf("--records") + 1]) : 200;
const precision = args.includes("--precision") ? args[args.indexOf("--precision") + 1] : "f64";
if (precision !== "f32" && precision !== "f64") {
  console.error(`bench/dataset.ts: --precision expects f32 or f64, got ${precision}`);
  process.exit(1);
}
if (!Number.isInteger(records) || records < 1) {
  console.error(`bench/dataset.ts: --records expects a positive integer, got ${args[args.indexOf("--records") + 1]}`);
  process.exit(1);
}

const BERT6 = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab: 30522, maskPos: 3, target: 7 };
// `--length N`: every input of length N, one shape: the running time per record with 1 and with 2
// workers then shows what running two records at once costs each (memory bandwidth), apart from
// instantiation.
const fixed = args.includes("--length") ? Number(args[args.indexOf("--length") + 1]) : undefined;
if (fixed !== undefined && !(Number.isInteger(fixed) && fixed >= 1 && fixed <= 512)) {
  console.error(`bench/dataset.ts: --length expects an integer in [1, 512], got ${args[args.indexOf("--length") + 1]}`);
  process.exit(1);
}
const [MIN_LEN, MAX_LEN] = fixed !== undefined ? [fixed, fixed] : [8, 40];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "semic-bench-dataset-"));
const model = path.join(root, "examples/bert.ts");
const config = Object.fromEntries(Object.entries(BERT6).map(([k, v]) => [k, String(v)]));

// Weights (the seq-independent BERT parameters) and the dataset.
const { graph } = loadModel(model, { config });
const params = path.join(tmp, "bert6.safetensors");
const weights = randomParams(graph, 11);
fs.writeFileSync(params, writeSafetensors(Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { shape: graph.nodes.find((n) => n.op === "param" && n.attrs["name"] === k)!.type.shape as number[], data: v }]))));
const r = rng(5);
const dataset = path.join(tmp, "data.jsonl");
const lengths: number[] = [];
fs.writeFileSync(
  dataset,
  Array.from({ length: records }, (_, i) => {
    const n = MIN_LEN + Math.floor(r() * (MAX_LEN - MIN_LEN + 1));
    lengths.push(n);
    return JSON.stringify({ id: `r${i}`, ids: Array.from({ length: n }, () => Math.floor(r() * BERT6.vocab)) });
  }).join("\n") + "\n",
);
const distinct = new Set(lengths).size;

// The primitive log-softmax over the 30522-wide output row has a dense 30522² Jacobian, which
// maxprod and entropy walk edge by edge (about 25 s per record today); expanded into exp, sum and
// log it has O(vocab) edges. `--primitive` times the unexpanded model.
const expand = args.includes("--primitive") ? [] : (["log_softmax"] as const);
// `--no-branch-values`: records without each branch's per-element values (25 of a record's 28 MB
// of JSON at seq 24), as `semic run --no-branch-values` writes them.
const branchValues = !args.includes("--no-branch-values");
const base = (cacheDir: string): StudyOptions => ({ model, params, semirings: ["sumprod", "maxprod", "entropy"], config, cacheDir, aggregate: { embeddings: [1] }, expand: [...expand], precision, ...(branchValues ? {} : { branchValues: false }) });

export interface DatasetRow {
  workers: number;
  cache: "cold" | "warm";
  seconds: number;
  recordsPerS: number;
  failed: number;
  /** Before the first record (model opened, weights checked, threads started), in the main thread. */
  openS: number;
  /** Summed over the workers. */
  compileS: number;
  instantiateS: number;
  /** Modules instantiated, summed over the workers (a length met by both counts twice). */
  instances: number;
  runS: number;
}

const runs = [
  { workers: 1, cache: "cold" },
  { workers: 1, cache: "warm" },
  { workers: 2, cache: "warm" },
] as const;
const cacheDir = path.join(tmp, "cache");
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/** Share of the workers' capacity (workers × wall time) spent on `s` seconds. */
const share = (row: DatasetRow, s: number) => s / (row.workers * row.seconds);

const rows: DatasetRow[] = [];
for (const { workers, cache } of runs) {
  const out = path.join(tmp, `out-${workers}-${cache}.jsonl`);
  const s = await runStudy(base(cacheDir), { dataset, results: out, errors: `${out}.errors`, mode: "force", workers, tty: false, progressEvery: 30 });
  const busy = s.busy ?? { compile: NaN, load: NaN, loads: NaN, run: NaN };
  const row: DatasetRow = { workers, cache, seconds: s.seconds, recordsPerS: s.written / s.seconds, failed: s.failed, openS: s.opened ?? NaN, compileS: busy.compile, instantiateS: busy.load, instances: busy.loads, runS: busy.run };
  rows.push(row);
  console.log(
    `dataset: ${workers} worker(s), ${cache} cache: ${s.written} records in ${s.seconds.toFixed(1)} s = ${row.recordsPerS.toFixed(3)} records/s (${s.failed} failed); ` +
      `open ${row.openS.toFixed(1)} s, workers: compiling ${row.compileS.toFixed(1)} s (${pct(share(row, row.compileS))}), instantiating ${row.instantiateS.toFixed(1)} s (${pct(share(row, row.instantiateS))}, ${row.instances} instances), running ${row.runS.toFixed(1)} s (${pct(share(row, row.runS))}, ${(row.runS / Math.max(1, s.written)).toFixed(2)} s per record)`,
  );
}

const [cold, warm1, warm2] = rows as [DatasetRow, DatasetRow, DatasetRow];
const cell = (r: DatasetRow) => `${r.recordsPerS.toPrecision(3)} records/s (${(r.seconds / records).toFixed(1)} s/record)`;
console.log(`\n| dataset | 1 worker, cold cache | 1 worker, warm cache | 2 workers, warm cache | 2 vs 1 worker (warm) | warm: compiling / instantiating (1 · 2 workers) |`);
console.log(`|---|---|---|---|---|---|`);
console.log(
  `| BERT-6 (h512, 8 heads, FFN 2048, vocab 30522), ${records} inputs of lengths ${MIN_LEN}–${MAX_LEN} (${distinct} distinct), sumprod+maxprod+entropy, ${precision}${expand.length > 0 ? ", --expand logSoftmax" : ""}${branchValues ? "" : ", --no-branch-values"} | ${cell(cold)} | ${cell(warm1)} | ${cell(warm2)} | ${(warm2.recordsPerS / warm1.recordsPerS).toFixed(2)}× | ${pct(share(warm1, warm1.compileS))} / ${pct(share(warm1, warm1.instantiateS))} · ${pct(share(warm2, warm2.compileS))} / ${pct(share(warm2, warm2.instantiateS))} |`,
);
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", `dataset-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), JSON.stringify({ records, precision, lengths: [MIN_LEN, MAX_LEN], distinct, rows }, null, 1));
fs.rmSync(tmp, { recursive: true, force: true });
