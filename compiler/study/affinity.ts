// Which pool worker a record goes to. Each worker keeps its last few compiled shapes instantiated
// (the runner's LRU, maxModels), and instantiating one costs about as much as running a record or
// two (import, createModel, the first run's WebAssembly compile); so a record goes where its shape
// already is, unless that worker's queue is longer than the cost of instantiating it elsewhere.
// Strict affinity would run all the records of one shape on one worker while the other idles.

import type { Overrides } from "./compileShape.ts";

/** A record's shape as the scheduler keys it: its config overrides, sorted. */
export const shapeOf = (overrides: Overrides): string => JSON.stringify(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Records a switch of shape is worth: a worker holding the shape wins unless it is this much busier. */
export const SWITCH_COST = 2;

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
 * The worker for a record of shape `key` (absent: no affinity, the least loaded): the least
 * queued + (SWITCH_COST unless it holds the shape); ties go to a holder, then to the lower index.
 */
export function chooseWorker(workers: readonly WorkerLoad[], key: string | undefined): number {
  let best = 0, bestCost = Infinity, bestHolds = false;
  workers.forEach((w, i) => {
    const holds = key !== undefined && w.held.includes(key);
    const cost = w.queued + (holds || key === undefined ? 0 : SWITCH_COST);
    if (cost < bestCost || (cost === bestCost && holds && !bestHolds)) [best, bestCost, bestHolds] = [i, cost, holds];
  });
  return best;
}

/** Records that `w` will run a record of shape `key` next: its LRU of `maxModels` shapes as the runner keeps it. */
export function noteShape(w: WorkerLoad, key: string, maxModels: number): void {
  const at = w.held.indexOf(key);
  if (at >= 0) w.held.splice(at, 1);
  w.held.push(key);
  while (w.held.length > maxModels) w.held.shift();
}
