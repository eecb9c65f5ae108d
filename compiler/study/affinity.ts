// Which record a free pool worker takes next. Each worker keeps its last few compiled shapes
// instantiated (the runner's LRU, maxModels), and instantiating one costs a fraction of a record's
// run (import, createModel, the first run's WebAssembly compile); so a worker takes a record of a
// shape it holds before any other. Records are handed out only as workers free up (late binding):
// assigned at submission, records of unequal lengths left one worker idle at the end of a window
// while the other still had a queue.

import type { Overrides } from "./compileShape.ts";

/** A record's shape as the scheduler keys it: its config overrides, sorted. */
export const shapeOf = (overrides: Overrides): string => JSON.stringify(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : 1)));

/** The scheduler's view of one worker: tasks sent and not answered, and the shapes it holds. */
export interface WorkerLoad {
  queued: number;
  /** Shape keys in the order the worker's runner last used them (most recent last), as its LRU keeps them. */
  readonly held: string[];
}

export function newWorkerLoad(): WorkerLoad {
  return { queued: 0, held: [] };
}

/**
 * The index in `pending` (shape keys in submission order; undefined: a task without a shape, a
 * compile, which any worker runs as cheaply) of the task a free worker takes: the first it holds the
 * shape of; else the first whose shape no worker holds (someone has to instantiate it); else the
 * first. So a worker never idles while records wait, and one shape's many records spread over all.
 */
export function pickTask(worker: WorkerLoad, others: readonly WorkerLoad[], pending: readonly (string | undefined)[]): number {
  const holds = (w: WorkerLoad, key: string | undefined) => key === undefined || w.held.includes(key);
  const own = pending.findIndex((key) => holds(worker, key));
  if (own >= 0) return own;
  const nobody = pending.findIndex((key) => !others.some((w) => holds(w, key)));
  return nobody >= 0 ? nobody : 0;
}

/** Records that `w` will run a record of shape `key` next: its LRU of `maxModels` shapes as the runner keeps it. */
export function noteShape(w: WorkerLoad, key: string, maxModels: number): void {
  const at = w.held.indexOf(key);
  if (at >= 0) w.held.splice(at, 1);
  w.held.push(key);
  while (w.held.length > maxModels) w.held.shift();
}
