// Which pool worker a record goes to: where its shape is instantiated, unless that worker is
// SWITCH_COST records busier; the LRU mirror drops shapes as the runner's LRU does.

import { describe, expect, test } from "vitest";
import { chooseWorker, newWorkerLoad, noteShape, shapeOf, SWITCH_COST, type WorkerLoad } from "../../compiler/study/affinity.ts";

const load = (queued: number, ...held: string[]): WorkerLoad => ({ queued, held });

describe("shape affinity", () => {
  test("a record goes to the worker that holds its shape", () => {
    expect(chooseWorker([load(0, "a"), load(0, "b")], "b")).toBe(1);
    expect(chooseWorker([load(1, "a"), load(0, "b")], "a")).toBe(0);
  });

  test("unless that worker is SWITCH_COST records busier: then the least loaded", () => {
    expect(chooseWorker([load(SWITCH_COST, "a"), load(0)], "a")).toBe(0); // a tie goes to the holder
    expect(chooseWorker([load(SWITCH_COST + 1, "a"), load(0)], "a")).toBe(1);
  });

  test("a shape nobody holds, or no shape (a compile), goes to the least loaded, then the lower index", () => {
    expect(chooseWorker([load(2, "a"), load(1, "b")], "c")).toBe(1);
    expect(chooseWorker([load(0, "a"), load(0, "b")], "c")).toBe(0);
    expect(chooseWorker([load(1, "a"), load(0, "b")], undefined)).toBe(1);
  });

  test("records of one shape spread over both workers once the holder's queue is long", () => {
    const workers = [newWorkerLoad(), newWorkerLoad()];
    const sent = Array.from({ length: 8 }, () => {
      const i = chooseWorker(workers, "s");
      noteShape(workers[i]!, "s", 2);
      workers[i]!.queued++;
      return i;
    });
    expect(sent).toEqual([0, 0, 0, 1, 1, 1, 0, 1]); // the second worker instantiates "s" once, at the fourth record
  });

  test("the mirror keeps the runner's LRU: most recent last, at most maxModels", () => {
    const w = newWorkerLoad();
    for (const k of ["a", "b", "a", "c"]) noteShape(w, k, 2);
    expect(w.held).toEqual(["a", "c"]);
  });

  test("a shape key does not depend on the order of the overrides", () => {
    expect(shapeOf({ seq: 9, n: 2 })).toBe(shapeOf({ n: 2, seq: 9 }));
    expect(shapeOf({ seq: 9 })).not.toBe(shapeOf({ seq: 10 }));
  });
});
