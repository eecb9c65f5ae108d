// A worker thread of the study pool: one record runner per thread, created on the first task.
// Tasks carry the study options (small, and the same for every task) so the thread needs no setup
// message; every outcome comes back as data, a failed record included. Tasks run one at a time,
// so that each one's time is its own.

import type { Overrides } from "./compileShape.ts";
import type { StudyOptions } from "./options.ts";
import { errorRecord, type DatasetRecord, type ErrorRecord, type OutputRecord } from "./record.ts";
import { createRecordRunner, type RecordRunner, type RunnerTiming } from "./runner.ts";

export type Task = { readonly options: StudyOptions } & ({ readonly record: DatasetRecord } | { readonly compile: Overrides });
/** A worker's answer, with the time its runner spent since its previous answer. */
export type TaskResult = ({ ok: OutputRecord } | { error: ErrorRecord } | { compiled: string | null }) & { time: RunnerTiming };

let runner: Promise<RecordRunner> | undefined;
/** The runner's timing when the last answer left: each answer carries the time spent since. */
const sent: RunnerTiming = { compile: 0, load: 0, loads: 0, run: 0 };

function since(r: RecordRunner): RunnerTiming {
  const t = { compile: r.timing.compile - sent.compile, load: r.timing.load - sent.load, loads: r.timing.loads - sent.loads, run: r.timing.run - sent.run };
  Object.assign(sent, r.timing);
  return t;
}

/** The task before: the pool sends the next task ahead (pool.ts), and this thread runs one at a time, in order. */
let previous: Promise<unknown> = Promise.resolve();

export default function runTask(task: Task): Promise<TaskResult> {
  const answer = previous.then(() => runOne(task));
  previous = answer.catch(() => undefined);
  return answer;
}

async function runOne(task: Task): Promise<TaskResult> {
  runner ??= createRecordRunner(task.options);
  const r = await runner;
  if ("compile" in task) return { compiled: (await r.compile(task.compile)) ?? null, time: since(r) };
  try {
    return { ok: await r.run(task.record), time: since(r) };
  } catch (e) {
    return { error: errorRecord(task.record.line, task.record.id, e), time: since(r) };
  }
}
