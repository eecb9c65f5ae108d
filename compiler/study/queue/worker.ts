// `semic worker --queue redis://HOST:PORT/NAME`: takes record jobs from the queue and answers each
// with the record's output (or its error), on this machine's cores. A worker serves any study on
// its queue: per study (content hash) it opens one record runner, after checking that its own
// copy of the model and weights hashes as the producer's did. Killed, it answers nothing more and
// BullMQ gives its running jobs to another worker once their lock expires.

import { Worker } from "bullmq";
import { shapeOf } from "../affinity.ts";
import { errorRecord, jsonLine, parseRecord } from "../record.ts";
import type { StudyOptions } from "../options.ts";
import { inlineExecutor, poolExecutor, type Executor } from "../pool.ts";
import { createRecordRunner, type RecordRunner } from "../runner.ts";
import { overridesOf } from "../study.ts";
import { probeRedis, studyKey, type QueueAddress, type QueueAnswer, type QueueJob } from "./protocol.ts";

export interface WorkerSettings {
  /** Threads running records; 0 runs them in this thread. */
  readonly threads: number;
  /** This machine's compile cache (the producer's path means nothing here). */
  readonly cacheDir: string;
  /** How long a job's lock lasts without renewal: a killed worker's jobs move on after about this long. */
  readonly lockMs: number;
  /** One line per event worth a log (a new study, a refused study). */
  readonly log: (line: string) => void;
}

type Study = { runner: RecordRunner; executor: Executor } | { refused: string };

export interface QueueWorker {
  /** Stops taking jobs, finishes the running ones, closes the threads. */
  close(): Promise<void>;
}

export async function startQueueWorker(queue: QueueAddress, s: WorkerSettings): Promise<QueueWorker> {
  await probeRedis(queue);
  const studies = new Map<string, Promise<Study>>();

  async function open(job: QueueJob): Promise<Study> {
    const options: StudyOptions = { ...job.options, cacheDir: s.cacheDir };
    try {
      const here = studyKey(options);
      if (here !== job.study) {
        return { refused: `this worker's files differ from the producer's (study ${job.study.slice(0, 12)}, here ${here.slice(0, 12)}): every machine needs the same model, weights and semic at ${options.model}` };
      }
      const runner = await createRecordRunner(options);
      const executor = s.threads === 0 ? await inlineExecutor(options, runner) : poolExecutor(options, s.threads);
      s.log(`study ${job.study.slice(0, 12)}: ${options.model} with ${options.params}, ${options.semirings.join(", ")}`);
      return { runner, executor };
    } catch (e) {
      return { refused: e instanceof Error ? e.message : String(e) };
    }
  }

  async function answer(job: QueueJob): Promise<QueueAnswer> {
    let study = studies.get(job.study);
    if (!study) studies.set(job.study, (study = open(job)));
    const st = await study;
    if ("refused" in st) return { error: { line: job.line, id: job.line, error: st.refused } };
    try {
      const record = parseRecord({ line: job.line, text: job.text }, st.runner.inputNames);
      return await st.executor.run(record, shapeOf(overridesOf(st.runner.info, record)));
    } catch (e) {
      return { error: errorRecord(job.line, job.line, e) };
    }
  }

  // BullMQ stores answers as JSON, which has no ±Infinity (no path): write them as the results file does.
  const encoded = async (job: QueueJob) => JSON.parse(jsonLine(await answer(job))) as QueueAnswer;

  const worker = new Worker<QueueJob, QueueAnswer>(queue.name, (job) => encoded(job.data), {
    connection: queue.connection,
    concurrency: Math.max(1, s.threads),
    lockDuration: s.lockMs,
    stalledInterval: Math.max(500, Math.floor(s.lockMs / 2)),
    // A job whose worker died is handed on, not failed, a few times over.
    maxStalledCount: 5,
  });
  // Redis going away makes BullMQ retry (and report) in a loop: say each new problem once.
  let last = "";
  worker.on("error", (e) => {
    if (e.message !== last) s.log(`queue error: ${(last = e.message)}`);
  });
  worker.on("stalled", (jobId) => s.log(`job ${jobId}: its worker stopped answering; it runs again`));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      for (const st of studies.values()) {
        const v = await st;
        if ("executor" in v) await v.executor.close();
      }
    },
  };
}
