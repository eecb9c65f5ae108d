// `semic run … --dataset d.jsonl --queue redis://HOST:PORT/NAME -o results.jsonl`: enqueue every
// line of the dataset as one BullMQ job and collect the answers into one results file, in input
// order, through the same ordered sink as a local run (so --resume and the errors file behave
// the same). Workers (`semic worker`) may run on any machine; a worker killed mid-job loses its
// lock and BullMQ hands the job to another worker. Each answer is written once: the sink takes a
// line once, and a job's answer is removed from Redis once it is written.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { Job, Queue } from "bullmq";
import type { StudyOptions } from "../options.ts";
import { createProgress } from "../progress.ts";
import type { ErrorRecord } from "../record.ts";
import type { StudySummary } from "../run.ts";
import { createRecordRunner } from "../runner.ts";
import { OrderedSink, type SinkPaths } from "../sink.ts";
import { jobIdOf, probeRedis, studyKey, type QueueAddress, type QueueAnswer, type QueueJob } from "./protocol.ts";

export interface QueueRun extends SinkPaths {
  readonly dataset: string;
  readonly mode: "new" | "force" | "resume";
  readonly queue: QueueAddress;
  readonly tty?: boolean;
  /** Called once the jobs are queued (tests start workers then). */
  readonly onQueued?: (jobs: number) => void;
}

/** Jobs looked at per poll: the earliest outstanding ones, since the sink writes in order. */
const WINDOW = 256;
const ADD_BATCH = 500;

export async function runQueueStudy(options: StudyOptions, run: QueueRun): Promise<StudySummary> {
  const t0 = performance.now();
  await createRecordRunner(options); // user errors in the model or options end here, before anything is queued
  const study = studyKey(options);
  await probeRedis(run.queue);
  const queue = new Queue<QueueJob, QueueAnswer>(run.queue.name, { connection: run.queue.connection });
  const sink = new OrderedSink(run, run.mode);

  let signal: "SIGINT" | "SIGTERM" | undefined;
  const onSignal = (s: "SIGINT" | "SIGTERM") => () => {
    if (signal) process.exit(s === "SIGINT" ? 130 : 143);
    signal = s;
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  process.on("SIGINT", handlers.SIGINT).on("SIGTERM", handlers.SIGTERM);

  /** Outstanding jobs in seq order: [jobId, seq, line]. */
  const outstanding: [string, number, number][] = [];
  try {
    let seq = 0, line = 0;
    let batch: { name: string; data: QueueJob; opts: { jobId: string } }[] = [];
    const flush = async () => {
      if (batch.length > 0) await queue.addBulk(batch);
      batch = [];
    };
    const lines = createInterface({ input: createReadStream(run.dataset, "utf8"), crlfDelay: Infinity });
    for await (const text of lines) {
      line++;
      if (text.trim() === "" || sink.done.has(line)) continue;
      const jobId = jobIdOf(study, line);
      batch.push({ name: "record", data: { study, options, seq, line, text }, opts: { jobId } });
      outstanding.push([jobId, seq++, line]);
      if (batch.length >= ADD_BATCH) await flush();
    }
    await flush();
    run.onQueued?.(outstanding.length);

    const progress = createProgress(outstanding.length, run.tty !== undefined ? { tty: run.tty } : {});
    const delivered = new Set<number>();
    let next = 0;
    while (next < outstanding.length && !signal) {
      const window = outstanding.slice(next, next + WINDOW).filter(([, s]) => !delivered.has(s));
      const jobs = await Promise.all(window.map(([id]) => Job.fromId<QueueJob, QueueAnswer>(queue, id)));
      let got = 0;
      for (const [i, job] of jobs.entries()) {
        const [id, s, l] = window[i]!;
        const answer = answerOf(job, id, l);
        if (!answer) continue;
        sink.deliver(s, answer);
        delivered.add(s);
        if ("error" in answer) progress.interrupt(() => process.stderr.write(`semic: ${run.dataset}:${answer.error.line} (id ${answer.error.id}): ${answer.error.error}\n`));
        await job!.remove();
        got++;
      }
      // Lines are written in order: skip past the ones done.
      while (next < outstanding.length && delivered.has(next)) next++;
      progress.tick(sink.written + sink.failed + sink.pending, sink.failed);
      if (got === 0) await sleep(50);
    }
    progress.stop();
  } finally {
    sink.close();
    await queue.close();
    process.off("SIGINT", handlers.SIGINT).off("SIGTERM", handlers.SIGTERM);
  }
  return { written: sink.written, failed: sink.failed, skipped: sink.done.size, ...(signal ? { signal } : {}), seconds: (performance.now() - t0) / 1000 };
}

/** A finished job's answer; undefined while it waits or runs (a job never added is an error). */
function answerOf(job: Job<QueueJob, QueueAnswer> | undefined, id: string, line: number): QueueAnswer | undefined {
  const fail = (error: string): { error: ErrorRecord } => ({ error: { line, id: line, error } });
  if (!job) return fail(`queue job ${id} disappeared from Redis (removed by hand, or Redis lost its data)`);
  if (job.returnvalue && job.finishedOn) return job.returnvalue;
  if (job.failedReason && job.finishedOn) return fail(`worker failed: ${job.failedReason}`);
  return undefined;
}
