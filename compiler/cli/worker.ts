// The queue mode of a study: `semic run … --dataset d.jsonl --queue redis://HOST:PORT/NAME -o
// results.jsonl` enqueues the dataset and collects the results; `semic worker --queue …` runs
// records on any number of machines. Model, weights and semiring files are read at the same path
// on every machine (see study/queue/protocol.ts).

import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import { defaultCacheDir } from "../study/cache.ts";
import { runQueueStudy } from "../study/queue/producer.ts";
import { parseQueueUrl } from "../study/queue/protocol.ts";
import { startQueueWorker } from "../study/queue/worker.ts";
import { EXIT_SOME_FAILED, errorsPathFor, noteUndefinedViews, studyOptions, type DatasetCliOptions } from "./dataset.ts";
import { CliError, parsePositiveInt, requireFile } from "./load.ts";

export interface QueueCliOptions extends DatasetCliOptions {
  queue?: string;
}

/** `semic run MODEL --dataset d.jsonl --queue redis://…/NAME -o results.jsonl`. */
export async function runQueue(file: string, o: QueueCliOptions): Promise<void> {
  const queue = parseQueueUrl(o.queue!);
  if (o.dataset === undefined) throw new CliError("--queue needs --dataset FILE.jsonl (the records to enqueue)");
  if (!o.output) throw new CliError("--queue needs -o FILE.jsonl for the collected results");
  for (const [flag, given] of [["--shard", o.shard], ["--workers", o.workers], ["--arrow", o.arrow], ["--json", o.json]] as const) {
    if (given !== undefined) throw new CliError(`${flag} does not apply with --queue (workers are started with semic worker)`);
  }
  if (o.resume && o.force) throw new CliError("--resume and --force exclude each other");
  requireFile(o.dataset, "dataset");
  const options = studyOptions(file, o);
  noteUndefinedViews(options);
  const errors = o.errors ?? errorsPathFor(o.output);
  const summary = await runQueueStudy(options, {
    dataset: o.dataset,
    results: o.output,
    errors,
    mode: o.resume ? "resume" : o.force ? "force" : "new",
    queue,
    onQueued: (n) => console.error(`semic: ${n} records queued on ${queue.url}; start workers with: semic worker --queue ${queue.url}`),
  });
  const done = `${summary.written} records → ${o.output}, ${summary.failed} failed → ${errors}${summary.skipped > 0 ? `, ${summary.skipped} done before (--resume)` : ""} in ${summary.seconds.toFixed(1)} s`;
  if (summary.signal) {
    console.error(`semic: stopped by ${summary.signal}: ${done}; the queued jobs stay: finish with the same command and --resume`);
    process.exitCode = summary.signal === "SIGINT" ? 130 : 143;
    return;
  }
  console.error(`semic: ${done}`);
  if (summary.failed > 0) process.exitCode = EXIT_SOME_FAILED;
}

interface WorkerCliOptions {
  queue: string;
  workers?: string;
  cacheDir?: string;
  lockMs?: string;
}

async function workerCommand(o: WorkerCliOptions): Promise<void> {
  const queue = parseQueueUrl(o.queue);
  const threads = o.workers === "0" ? 0 : parsePositiveInt("--workers", o.workers, availableParallelism());
  const log = (line: string) => console.error(`semic worker: ${line}`);
  const worker = await startQueueWorker(queue, {
    threads,
    cacheDir: resolve(o.cacheDir ?? defaultCacheDir()),
    lockMs: parsePositiveInt("--lock-ms", o.lockMs, 30_000),
    log,
  });
  log(`waiting for records on ${queue.url} (${threads === 0 ? "in this thread" : `${threads} threads`}); stop with Ctrl-C`);
  const signal = await new Promise<NodeJS.Signals>((ok) => {
    process.once("SIGINT", ok).once("SIGTERM", ok);
  });
  log(`${signal}: finishing the running records…`);
  await worker.close();
  log("stopped");
}

export function addQueueOption(run: Command): Command {
  return run.option("--queue <redis://host:port/name>", "with --dataset: enqueue the records on BullMQ over Redis and collect the results; run them with semic worker");
}

export function addWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run the records of queued studies (`semic run … --dataset … --queue URL`) on this machine until stopped")
    .requiredOption("--queue <redis://host:port/name>", "the queue (Redis address and queue name)")
    .option("--workers <n>", "threads running records (default: the number of cores; 0 runs them in this thread)")
    .option("--cache-dir <dir>", "this machine's compile cache (default $XDG_CACHE_HOME/semic or ~/.cache/semic)")
    .option("--lock-ms <ms>", "job lock: a killed worker's records go to another worker after about this long", "30000")
    .addHelpText(
      "after",
      `
Every machine reads the model, its imports, the weights and semiring files at the paths the
producer gave (a shared file system, or identical copies at the same place); a worker whose files
hash differently refuses the study, and its records fail with that reason.

Examples:
  redis-server --port 6379 &
  semic run examples/transformer.ts --params examples/transformer.params.json -s sumprod,maxprod \\
    --dataset examples/data/transformer.jsonl --queue redis://localhost:6379/study -o results.jsonl
  semic worker --queue redis://localhost:6379/study              # on each machine, any number of times
  semic worker --queue redis://gpu-node:6379/study --workers 8`,
    )
    .action((o: WorkerCliOptions) => workerCommand(o));
}
