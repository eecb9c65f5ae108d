// Where records run: a piscina pool of worker threads (one record runner each, records spread over
// the cores), or the calling thread alone, where the generated module may split its own big
// kernels over threads. Both answer with data: a record's output, its error, or a compile outcome.

import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { Overrides } from "./compileShape.ts";
import type { StudyOptions } from "./options.ts";
import type { Task, TaskResult } from "./poolWorker.ts";
import { errorRecord, type DatasetRecord, type ErrorRecord, type OutputRecord } from "./record.ts";
import { createRecordRunner, type RecordRunner, type RunnerTiming } from "./runner.ts";

export interface Executor {
  readonly threads: number;
  run(record: DatasetRecord): Promise<{ ok: OutputRecord } | { error: ErrorRecord }>;
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

/** `workers` threads, each with its own runner; the first compile of each worker reads the cache. */
export function poolExecutor(options: StudyOptions, workers: number): Executor {
  const pool = new Piscina<Task, TaskResult>({
    filename: fileURLToPath(new URL(workerFile, import.meta.url)),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
  });
  const total: RunnerTiming = { compile: 0, load: 0, run: 0 };
  const add = (t: RunnerTiming) => {
    total.compile += t.compile;
    total.load += t.load;
    total.run += t.run;
  };
  return {
    threads: workers,
    async run(record) {
      const { time, ...r } = await pool.run({ options, record });
      add(time);
      if ("compiled" in r) throw new Error("study pool: a record task answered as a compile");
      return r;
    },
    async compile(overrides) {
      const { time, ...r } = await pool.run({ options, compile: overrides });
      add(time);
      if (!("compiled" in r)) throw new Error("study pool: a compile task answered as a record");
      return r.compiled;
    },
    timing: () => ({ ...total }),
    close: () => pool.close(),
  };
}
