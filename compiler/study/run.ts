// A study over a dataset: every line of a JSON Lines file through the model, on all cores, with
// results written in input order as they complete. Records are dispatched in small windows sorted
// by shape (so a worker keeps reusing one compiled module), each new shape compiled once, on a
// worker, before its records run. A bad record goes to the errors file and stderr and the run goes
// on; SIGINT/SIGTERM stop it after the records already running, with both files valid up to the
// last complete record.

import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { shapeOf } from "./affinity.ts";
import { CompileCache } from "./cache.ts";
import { shapeKey, type Overrides } from "./compileShape.ts";
import { inShard, type Shard, type StudyOptions } from "./options.ts";
import { inlineExecutor, poolExecutor, type Executor } from "./pool.ts";
import { createProgress } from "./progress.ts";
import { errorRecord, parseRecord, type DatasetRecord, type ErrorRecord, type OutputRecord } from "./record.ts";
import { createRecordRunner, loadParams } from "./runner.ts";
import { OrderedSink, type SinkPaths } from "./sink.ts";
import { openModel, overridesOf } from "./study.ts";

export interface StudyRun extends SinkPaths {
  readonly dataset: string;
  readonly mode: "new" | "force" | "resume";
  readonly shard?: Shard;
  /** Worker threads; 0 runs records in this thread (the module may then use its own threads). */
  readonly workers: number;
  /** Force the plain progress lines (tests) or the bar; default: the bar on a terminal. */
  readonly tty?: boolean;
  readonly progressEvery?: number;
}

export interface StudySummary {
  /** Records written to the results file / errors file by this run. */
  readonly written: number;
  readonly failed: number;
  /** Lines already done by an earlier run (--resume). */
  readonly skipped: number;
  /** The signal that stopped the run, if one did. */
  readonly signal?: "SIGINT" | "SIGTERM";
  readonly seconds: number;
  /** Seconds the runners spent, summed over the threads: compiling (or finding shapes in the cache), instantiating modules (`loads` of them), running records. */
  readonly busy?: { readonly compile: number; readonly load: number; readonly loads: number; readonly run: number };
  /** Seconds before the first record: the model opened (its base shape compiled or found in the cache), the weights checked, the threads started. */
  readonly opened?: number;
}

/** Lines this run will process: non-blank, in the shard, not done. */
function countTodo(dataset: string, shard: Shard | undefined, done: ReadonlySet<number>): number {
  const text = readFileSync(dataset, "utf8");
  let n = 0, line = 0;
  for (const row of text.split("\n")) {
    line++;
    if (row.trim() !== "" && inShard(line, shard) && !done.has(line)) n++;
  }
  return n;
}

interface Item {
  readonly seq: number;
  readonly record: DatasetRecord;
  readonly overrides: Overrides;
  readonly key: string;
}

export async function runStudy(options: StudyOptions, run: StudyRun): Promise<StudySummary> {
  const t0 = performance.now();
  // User errors in the model or the options end here, before any output. Only an in-thread run
  // needs a runner (and the weights) here; pool workers have their own.
  const runner = run.workers === 0 ? await createRecordRunner(options) : undefined;
  const info = runner?.info ?? (await openModel(options));
  if (!runner) loadParams(options, info);
  const inputNames = new Set(info.base.inputs.map((t) => t.name));
  const sink = new OrderedSink(run, run.mode);
  const total = countTodo(run.dataset, run.shard, sink.done);
  const executor: Executor = runner ? await inlineExecutor(options, runner) : poolExecutor(options, Math.min(run.workers, Math.max(1, total)));
  const opened = (performance.now() - t0) / 1000;
  const progress = createProgress(total, { ...(run.tty !== undefined ? { tty: run.tty } : {}), ...(run.progressEvery !== undefined ? { every: run.progressEvery } : {}) });

  let signal: "SIGINT" | "SIGTERM" | undefined;
  const onSignal = (s: "SIGINT" | "SIGTERM") => () => {
    if (signal) process.exit(s === "SIGINT" ? 130 : 143); // a second signal: stop at once (the files stay valid)
    signal = s;
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  process.on("SIGINT", handlers.SIGINT).on("SIGTERM", handlers.SIGTERM);

  let seq = 0;
  let busy: StudySummary["busy"];
  const deliver = (item: { seq: number }, r: { ok: OutputRecord } | { error: ErrorRecord }) => {
    sink.deliver(item.seq, r);
    if ("error" in r) progress.interrupt(() => process.stderr.write(`semic: ${run.dataset}:${r.error.line} (id ${r.error.id}): ${r.error.error}\n`));
    progress.tick(sink.written + sink.failed + sink.pending, sink.failed);
  };

  // A shape already in the cache needs no compile task: sent to a worker, it would wait behind the
  // record that worker is running, and so would every record of its shape.
  const cache = new CompileCache(options.cacheDir);
  const cached = (overrides: Overrides) => cache.read(shapeKey(options, overrides), "json") !== undefined;
  const inflight = new Set<Promise<void>>();
  const limit = executor.threads * 4;
  const compiles = new Map<string, Promise<string | null>>();
  const dispatch = async (batch: Item[]) => {
    batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq));
    for (const item of batch) {
      while (inflight.size >= limit) await Promise.race(inflight);
      if (signal) return;
      const task = (async () => {
        let compiled = compiles.get(item.key);
        if (!compiled) compiles.set(item.key, (compiled = cached(item.overrides) ? Promise.resolve(null) : executor.compile(item.overrides)));
        const why = await compiled;
        const { line, id } = item.record;
        deliver(item, why !== null ? { error: { line, id, error: why } } : await executor.run(item.record, item.key));
      })().catch((e: unknown) => deliver(item, { error: errorRecord(item.record.line, item.record.id, e) }));
      inflight.add(task);
      void task.finally(() => inflight.delete(task));
    }
  };

  // Records are sorted by shape within a window, so a shape met again in the window reuses its
  // instance: larger windows instantiate less, and hold more finished records until the ones
  // before them are written (a kill loses those, and --resume runs them again).
  const window = Math.max(32, executor.threads * 16);
  let batch: Item[] = [];
  const lines = createInterface({ input: createReadStream(run.dataset, "utf8"), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (signal) break;
      if (text.trim() === "" || !inShard(line, run.shard) || sink.done.has(line)) continue;
      const item = { seq: seq++ };
      let record: DatasetRecord;
      let overrides: Overrides;
      try {
        record = parseRecord({ line, text }, inputNames);
        overrides = overridesOf(info, record);
      } catch (e) {
        deliver(item, { error: errorRecord(line, line, e) });
        continue;
      }
      batch.push({ ...item, record, overrides, key: shapeOf(overrides) });
      if (batch.length >= window) {
        await dispatch(batch);
        batch = [];
      }
    }
    if (!signal) await dispatch(batch);
    // Also after a signal: the records already running finish and are written (a second signal exits at once).
    while (inflight.size > 0) await Promise.race(inflight);
  } finally {
    lines.close();
    progress.stop();
    sink.close();
    const ms = executor.timing();
    busy = { compile: ms.compile / 1000, load: ms.load / 1000, loads: ms.loads, run: ms.run / 1000 };
    await executor.close().catch(() => undefined);
    process.off("SIGINT", handlers.SIGINT).off("SIGTERM", handlers.SIGTERM);
  }
  return { written: sink.written, failed: sink.failed, skipped: sink.done.size, ...(signal ? { signal } : {}), seconds: (performance.now() - t0) / 1000, opened, ...(busy ? { busy } : {}) };
}
