// `npm run bench -- --only dataset` (or `tsx bench/dataset.ts [--records N]`): a study over a
// dataset, timed. 200 inputs of the BERT-6 encoder (h512, 8 heads, FFN 2048) at its real
// vocabulary 30522, lengths drawn between 8 and 40, three semirings (sumprod, maxprod, entropy),
// through `semic run --dataset` (runStudy): records/s with 1 and 2 workers, each with a cold
// compile cache (every length compiled) and then a warm one (every length imported from it).
// Seeded random weights (bench/models.ts); f64 buffers, the default of `semic run`.

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
const workerCounts = args.includes("--workers") ? args[args.indexOf("--workers") + 1]!.split(",").map(Number) : [1, 2];

const BERT6 = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab: 30522, maskPos: 3, target: 7 };
const [MIN_LEN, MAX_LEN] = [8, 40];

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
const base = (cacheDir: string): StudyOptions => ({ model, params, semirings: ["sumprod", "maxprod", "entropy"], config, cacheDir, aggregate: { embeddings: [1] }, expand: [...expand] });

export interface DatasetRow {
  workers: number;
  cache: "cold" | "warm";
  seconds: number;
  recordsPerS: number;
  failed: number;
}

const rows: DatasetRow[] = [];
for (const workers of workerCounts) {
  const cacheDir = path.join(tmp, `cache-${workers}`);
  for (const cache of ["cold", "warm"] as const) {
    const out = path.join(tmp, `out-${workers}-${cache}.jsonl`);
    const s = await runStudy(base(cacheDir), { dataset, results: out, errors: `${out}.errors`, mode: "force", workers, tty: false, progressEvery: 30 });
    const row = { workers, cache, seconds: s.seconds, recordsPerS: s.written / s.seconds, failed: s.failed };
    rows.push(row);
    console.log(`dataset: ${workers} worker(s), ${cache} cache: ${s.written} records in ${s.seconds.toFixed(1)} s = ${row.recordsPerS.toFixed(2)} records/s (${s.failed} failed)`);
  }
}

const get = (w: number, c: string) => rows.find((x) => x.workers === w && x.cache === c);
const speedup = (c: string) => (get(1, c) && get(2, c) ? (get(2, c)!.recordsPerS / get(1, c)!.recordsPerS).toFixed(2) : "—");
const row = `| BERT-6 (h512, 8 heads, FFN 2048, vocab 30522), ${records} inputs of lengths ${MIN_LEN}–${MAX_LEN} (${distinct} distinct), sumprod+maxprod+entropy, f64${expand.length > 0 ? ", --expand logSoftmax" : ""} | ${workerCounts
  .flatMap((w) => ["cold", "warm"].map((c) => `${get(w, c) ? `${get(w, c)!.recordsPerS.toPrecision(3)} (${(get(w, c)!.seconds / records).toFixed(1)} s/record)` : "—"}`))
  .join(" | ")} | ${speedup("cold")}× / ${speedup("warm")}× |`;
console.log(`\n| dataset | ${workerCounts.flatMap((w) => [`${w} worker${w > 1 ? "s" : ""}, cold cache`, `${w} worker${w > 1 ? "s" : ""}, warm cache`]).join(" | ")} | 2 vs 1 worker (cold / warm) |`);
console.log(`|---|${workerCounts.flatMap(() => ["---", "---"]).join("|")}|---|`);
console.log(row);
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", `dataset-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), JSON.stringify({ records, lengths: [MIN_LEN, MAX_LEN], distinct, rows }, null, 1));
fs.rmSync(tmp, { recursive: true, force: true });
