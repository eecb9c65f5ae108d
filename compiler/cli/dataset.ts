// `semic run --dataset`: a study over a JSON Lines dataset (one input record per line), and
// `semic merge`, which joins the outputs of `--shard` runs. Exit codes of a study: 0 every record
// ran; 3 the run finished but some records failed (they are in the errors file and were shown on
// stderr); 130/143 stopped by SIGINT/SIGTERM (finish with --resume); 1 a user error before any
// record ran (nothing written); 2 a bug in semic.

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_TOPK, semiringByName, semiringNames } from "../../ir/semirings/index.ts";
import { writeArrow } from "../study/arrow.ts";
import { defaultCacheDir } from "../study/cache.ts";
import { mergeShards } from "../study/merge.ts";
import { parseDims, parseShard, type StudyOptions } from "../study/options.ts";
import { runStudy } from "../study/run.ts";
import { parseBranchViews, viewsFor } from "../study/views.ts";
import { CliError, parseAggregate, parseConfig, parseExpand, parsePositiveInt, parseTopPathFrom, requireFile, splitList } from "./load.ts";
import { writeFilesAtomically } from "./output.ts";

/** The `run` options this file reads (commander fills them in). */
export interface DatasetCliOptions {
  dataset?: string;
  inputs?: string;
  params: string;
  output?: string;
  errors?: string;
  arrow?: string;
  resume?: boolean;
  force?: boolean;
  shard?: string;
  workers?: string;
  cacheDir?: string;
  dim?: string[];
  semiring?: string[];
  semiringsFrom?: string[];
  wrt?: string[];
  topk?: string;
  precision: "f32" | "f64";
  config?: string[];
  expand?: string[];
  aggregate?: string[];
  topPathFrom?: string;
  target: "js" | "wgsl";
  json?: boolean;
  branchView?: string[];
  /** false with --no-branch-values. */
  branchValues?: boolean;
}

/** Exit code of a finished study with failed records. */
export const EXIT_SOME_FAILED = 3;

/** results.jsonl → results.errors.jsonl (the default errors file). */
export const errorsPathFor = (output: string): string => (output.endsWith(".jsonl") ? output.replace(/\.jsonl$/, ".errors.jsonl") : `${output}.errors.jsonl`);

/** The study's options, with every path absolute (queue workers on other machines read the same paths). */
export function studyOptions(file: string, o: DatasetCliOptions): StudyOptions {
  requireFile(file, "model file");
  requireFile(o.params, "params file");
  const aggregate = parseAggregate(o.aggregate);
  const topPath = parseTopPathFrom(o.topPathFrom);
  const dims = parseDims(o.dim);
  const branchViews = parseBranchViews(o.branchView);
  const semirings = splitList(o.semiring);
  if (semirings.length === 0) throw new CliError("no semiring given: use --semiring NAME[,NAME…]");
  return {
    model: resolve(file),
    params: resolve(o.params),
    semirings,
    semiringsFrom: (o.semiringsFrom ?? []).map((f) => resolve(f)),
    topk: parsePositiveInt("--topk", o.topk, DEFAULT_TOPK),
    wrt: splitList(o.wrt),
    ...(aggregate ? { aggregate } : {}),
    ...(topPath ? { topPath } : {}),
    ...(branchViews.length > 0 ? { branchViews } : {}),
    ...(o.branchValues === false ? { branchValues: false } : {}),
    precision: o.precision,
    expand: parseExpand(o.expand),
    config: parseConfig(o.config),
    ...(dims ? { dims } : {}),
    cacheDir: resolve(o.cacheDir ?? defaultCacheDir()),
  };
}

/** One stderr line per built-in semiring for which some asked-for view is not defined (its records hold the others). */
export function noteUndefinedViews(o: StudyOptions): void {
  const asked = o.branchViews ?? [];
  for (const name of o.semirings) {
    if (!(semiringNames as readonly string[]).includes(name)) continue;
    const missing = asked.filter((v) => !viewsFor(semiringByName(name), asked).includes(v));
    if (missing.length > 0) console.error(`semic: --branch-view ${missing.join(",")}: not defined for ${name} (its ⊕ picks no single branch; maxprod and maxabs have them)`);
  }
}

/** `semic run MODEL --dataset data.jsonl -o results.jsonl …`; sets process.exitCode for failed records or a signal. */
export async function runDataset(file: string, o: DatasetCliOptions): Promise<void> {
  if (o.dataset === undefined) throw new CliError("give --inputs FILE (one input) or --dataset FILE.jsonl (a study, one input per line)");
  if (o.inputs !== undefined) throw new CliError("--inputs and --dataset exclude each other: a dataset line holds one record's inputs");
  if (o.target !== "js") throw new CliError("--dataset runs the js target only (drop --target wgsl)");
  if (o.json) throw new CliError("--json prints one input's results: with --dataset the results go to -o FILE.jsonl");
  if (!o.output) throw new CliError("--dataset needs -o FILE.jsonl for the results (one JSON line per record)");
  if (o.resume && o.force) throw new CliError("--resume and --force exclude each other");
  requireFile(o.dataset, "dataset");
  const shard = parseShard(o.shard);
  const workers = o.workers === "0" ? 0 : parsePositiveInt("--workers", o.workers, availableParallelism());
  const options = studyOptions(file, o);
  const errors = o.errors ?? errorsPathFor(o.output);
  if (resolve(errors) === resolve(o.output)) throw new CliError(`--errors ${errors} is the results file`);
  noteUndefinedViews(options);

  const summary = await runStudy(options, {
    dataset: o.dataset,
    results: o.output,
    errors,
    mode: o.resume ? "resume" : o.force ? "force" : "new",
    ...(shard ? { shard } : {}),
    workers,
  });
  const done = `${summary.written} records → ${o.output}, ${summary.failed} failed → ${errors}${summary.skipped > 0 ? `, ${summary.skipped} done before (--resume)` : ""} in ${summary.seconds.toFixed(1)} s`;
  if (summary.signal) {
    console.error(`semic: stopped by ${summary.signal}: ${done}; finish with the same command and --resume`);
    process.exitCode = summary.signal === "SIGINT" ? 130 : 143;
    return;
  }
  if (o.arrow) {
    const records = readFileSync(o.output, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
    writeArrow(records, o.arrow);
  }
  console.error(`semic: ${done}${o.arrow ? `; ${o.arrow}` : ""}`);
  if (summary.failed > 0 || (o.resume && readFileSync(errors, "utf8").trim() !== "")) process.exitCode = EXIT_SOME_FAILED;
}

/** The dataset options of `semic run`. */
export function addDatasetOptions(run: Command): Command {
  return run
    .option("--dataset <file.jsonl>", "run a study: one input record per line ({\"id\": …, \"<input>\": nested array, other keys carried along})")
    .option("-o, --output <file.jsonl>", "with --dataset: the results, one JSON line per record in input order")
    .option("--errors <file.jsonl>", "with --dataset: failed records with line and id (default: <output>.errors.jsonl)")
    .option("--arrow <file.arrow>", "with --dataset: also write the results as an Arrow IPC file (pandas, polars)")
    .option("--resume", "with --dataset: finish an interrupted run, skipping the records its files hold")
    .option("--force", "with --dataset: overwrite existing results and errors files")
    .option("--shard <I/N>", "with --dataset: only lines L with (L-1) mod N = I (0 ≤ I < N); join the shards with semic merge")
    .option("--workers <n>", "with --dataset: worker threads (default: the number of cores; 0 runs in this thread)")
    .option("--cache-dir <dir>", "with --dataset: the compile cache (default $XDG_CACHE_HOME/semic or ~/.cache/semic)")
    .option("--dim <key=input:axis...>", "with --dataset: config key set by a record's input length, e.g. seq=ids:0 (default: discovered from the model)")
    .option("--no-branch-values", "with --dataset: leave each branch's per-element values out of the records (most of a record's size; --branch-view still computes its views from them)")
    .addHelpText(
      "after",
      `
A study over a dataset (one JSON record per line; results in input order; exit 3 if some records failed):
  semic run examples/transformer.ts --params examples/transformer.params.json --dataset examples/data/transformer.jsonl -s sumprod,maxprod --wrt embeddings -o results.jsonl --arrow results.arrow
  semic run examples/bert.ts --params examples/bert.safetensors --dataset examples/data/bert.jsonl -s maxprod --aggregate embeddings:1 -o bert.jsonl --shard 0/4
  semic merge bert.shard*.jsonl -o bert.jsonl --dataset examples/data/bert.jsonl
  semic run examples/transformer.ts --params examples/transformer.params.json --dataset examples/data/transformer.jsonl -s maxprod --branch-view oplus,bucket_sum -o views.jsonl
  semic report views.jsonl -o views.html --group-labels first,repeat,other            # per-branch bars per token group`,
    );
}

interface MergeCliOptions {
  output: string;
  errors?: string;
  dataset?: string;
}

async function mergeCommand(files: string[], o: MergeCliOptions): Promise<void> {
  const merged = mergeShards(files, o.dataset);
  const errors = o.errors ?? errorsPathFor(o.output);
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
  writeFilesAtomically(new Map([[o.output, text(merged.results)], [errors, text(merged.errors)]]));
  const gaps = merged.missing.length > 0 ? ` (no record for line(s) ${merged.missing.slice(0, 8).join(", ")}${merged.missing.length > 8 ? "…" : ""}: blank in the dataset? pass --dataset to check)` : "";
  console.error(`semic: merged ${files.length} files: ${merged.results.length} records → ${o.output}, ${merged.errors.length} failed → ${errors}${gaps}`);
  return Promise.resolve();
}

/** `semic merge`. */
export function addMergeCommand(program: Command): void {
  program
    .command("merge")
    .description("join the results (and errors) files of `run --dataset --shard` runs into one, in dataset order")
    .argument("<files...>", "results and errors files of the shards (e.g. shard*.jsonl)")
    .requiredOption("-o, --output <file.jsonl>", "merged results")
    .option("--errors <file.jsonl>", "merged errors (default: <output>.errors.jsonl)")
    .option("--dataset <file.jsonl>", "the dataset: check that every line has exactly one record")
    .addHelpText(
      "after",
      `
Examples:
  for i in 0 1 2 3; do semic run MODEL --params P -s maxprod --dataset data.jsonl --shard $i/4 -o shard$i.jsonl & done; wait
  semic merge shard*.jsonl -o all.jsonl --dataset data.jsonl`,
    )
    .action((files: string[], o: MergeCliOptions) => mergeCommand(files, o));
}
