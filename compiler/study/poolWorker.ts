// A worker thread of the study pool: one record runner per thread, created on the first task.
// Tasks carry the study options (small, and the same for every task) so the thread needs no setup
// message; every outcome comes back as data, a failed record included.

import type { Overrides } from "./compileShape.ts";
import type { StudyOptions } from "./options.ts";
import { errorRecord, type DatasetRecord, type ErrorRecord, type OutputRecord } from "./record.ts";
import { createRecordRunner, type RecordRunner } from "./runner.ts";

export type Task = { readonly options: StudyOptions } & ({ readonly record: DatasetRecord } | { readonly compile: Overrides });
export type TaskResult = { ok: OutputRecord } | { error: ErrorRecord } | { compiled: string | null };

let runner: Promise<RecordRunner> | undefined;

export default async function runTask(task: Task): Promise<TaskResult> {
  runner ??= createRecordRunner(task.options);
  const r = await runner;
  if ("compile" in task) return { compiled: (await r.compile(task.compile)) ?? null };
  try {
    return { ok: await r.run(task.record) };
  } catch (e) {
    return { error: errorRecord(task.record.line, task.record.id, e) };
  }
}
