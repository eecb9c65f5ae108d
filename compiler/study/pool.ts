// Where records run: a piscina pool of worker threads (one record runner each, records spread over
// the cores), or the calling thread alone, where the generated module may split its own big
// kernels over threads. Both answer with data: a record's output, its error, or a compile outcome.
// In the pool, each thread is a piscina of its own, so that a free thread can take a record of a
// shape it already holds (affinity.ts) instead of whichever came first.

import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { newWorkerLoad, noteShape, pickTask } from "./affinity.ts";
import type { Overrides } from "./compileShape.ts";
import type { StudyOptions } from "./options.ts";
import type { Task, TaskResult } from "./poolWorker.ts";
import { errorRecord, type DatasetRecord, type ErrorRecord, type OutputRecord } from "./record.ts";
import { createRecordRunner, DEFAULT_MAX_MODELS, type RecordRunner, type RunnerTiming } from "./runner.ts";

export interface Executor {
  readonly threads: number;
  /** `shape`: the record's shape key, for sending it where that shape is already instantiated. */
  run(record: DatasetRecord, shape?: string): Promise<{ ok: OutputRecord } | { error: ErrorRecord }>;
  /** Compiles a shape (on a worker); null, or why the shape cannot run. */
  compile(overrides: Overrides): Promise<string | null>;
  /** Milliseconds spent so far, summed over the threads. */
  timing(): RunnerTiming;
  close(): Promise<void>;
}

export const defaultWorkers = (): number => availableParallelism();

/** Records run in this thread; the generated module's own threads (if `options.threads`) split big kernels. */
export async function inlineExecutor(options: StudyOptions, runner?: RecordRunner): Promise<Executor> {
  const r = runner ?? (await createRecordRunner(options));
  return {
    threads: 1,
    async run(record) {
      try {
        return { ok: await r.run(record) };
      } catch (e) {
        return { error: errorRecord(record.line, record.id, e) };
      }
    },
    async compile(overrides) {
      return (await r.compile(overrides)) ?? null;
    },
    timing: () => ({ ...r.timing }),
    close: () => Promise.resolve(),
  };
}

// Run from the sources (a clone through tsx), a worker must register tsx itself (workerEntry.js);
// run from the build, the worker is plain JavaScript.
const workerFile = import.meta.url.endsWith(".ts") ? "./workerEntry.js" : "./poolWorker.js";

/**
 * Tasks a worker holds at once: the one it runs and the next, so that it starts the next as soon as
 * one ends, without waiting for the calling thread to hand it over (which waits while that thread
 * writes a record's results: a BERT-6 record with its branch values is ~28 MB of JSON). The next is
 * chosen when the one before starts, so affinity looks one task ahead.
 */
const AHEAD = 2;

/**
 * `workers` threads, each with its own runner; the first compile of each worker reads the cache.
 * Tasks wait here until a thread has room, which then takes one of a shape it holds if any waits
 * (affinity.ts); every thread gets a task before any gets a second.
 */
export function poolExecutor(options: StudyOptions, workers: number): Executor {
  const threads = Array.from({ length: workers }, () => ({
    pool: new Piscina<Task, TaskResult>({ filename: fileURLToPath(new URL(workerFile, import.meta.url)), minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: AHEAD, idleTimeout: 60_000 }),
    load: newWorkerLoad(),
  }));
  const maxModels = options.maxModels ?? DEFAULT_MAX_MODELS;
  const total: RunnerTiming = { compile: 0, load: 0, loads: 0, run: 0 };
  const pending: { task: Task; shape: string | undefined; start: (answer: Promise<TaskResult>) => void }[] = [];
  const pump = (): void => {
    for (let depth = 1; depth <= AHEAD; depth++)
      for (const t of threads) {
        if (t.load.queued >= depth || pending.length === 0) continue;
        const at = pickTask(t.load, threads.filter((o) => o !== t).map((o) => o.load), pending.map((p) => p.shape));
        const [p] = pending.splice(at, 1);
        // A compile task instantiates nothing: only records move a thread's shapes.
        if (p!.shape !== undefined) noteShape(t.load, p!.shape, maxModels);
        t.load.queued++;
        p!.start(
          t.pool.run(p!.task).finally(() => {
            t.load.queued--;
            pump();
          }),
        );
      }
  };
  async function send(task: Task, shape: string | undefined): Promise<TaskResult> {
    const r = await new Promise<TaskResult>((resolve, reject) => {
      pending.push({ task, shape, start: (answer) => void answer.then(resolve, reject) });
      pump();
    });
    total.compile += r.time.compile;
    total.load += r.time.load;
    total.loads += r.time.loads;
    total.run += r.time.run;
    return r;
  }
  return {
    threads: workers,
    async run(record, shape) {
      const { time: _time, ...r } = await send({ options, record }, shape);
      if ("compiled" in r) throw new Error("study pool: a record task answered as a compile");
      return r;
    },
    async compile(overrides) {
      const { time: _time, ...r } = await send({ options, compile: overrides }, undefined);
      if (!("compiled" in r)) throw new Error("study pool: a compile task answered as a record");
      return r.compiled;
    },
    timing: () => ({ ...total }),
    close: async () => void (await Promise.all(threads.map((t) => t.pool.close()))),
  };
}
