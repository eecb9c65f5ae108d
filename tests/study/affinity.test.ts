// Which record a free pool worker takes: one of a shape it holds, else one nobody holds, else the
// first; the LRU mirror drops shapes as the runner's LRU does. A simulated pool shows no worker
// idling while records wait, and few instances.

import { describe, expect, test } from "vitest";
import { newWorkerLoad, noteShape, pickTask, shapeOf, type WorkerLoad } from "../../compiler/study/affinity.ts";

const load = (...held: string[]): WorkerLoad => ({ queued: 0, held });

describe("shape affinity", () => {
  test("a free worker takes the first record of a shape it holds", () => {
    expect(pickTask(load("b"), [load("a")], ["a", "a", "b", "c"])).toBe(2);
  });

  test("else the first record of a shape no worker holds", () => {
    expect(pickTask(load("x"), [load("a")], ["a", "a", "c", "b"])).toBe(2);
  });

  test("else the first record: one shape's records spread over every worker", () => {
    expect(pickTask(load("x"), [load("a")], ["a", "a"])).toBe(0);
    expect(pickTask(load(), [load("a")], ["a"])).toBe(0);
  });

  test("a compile (no shape) is taken as if held", () => {
    expect(pickTask(load("x"), [load("a")], ["a", undefined, "x"])).toBe(1);
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

  // Two workers, records whose run time is their length and an instance costing 3: every record
  // is handed to the first worker that frees up (as the pool does), so neither idles while
  // records wait, each shape is instantiated about once, and the end is within a record of even.
  test("a simulated pool: no idle worker while records wait, few instances", () => {
    const lengths = [8, 8, 8, 8, 30, 30, 12, 12, 12, 40, 9, 9, 20, 20, 20, 20];
    const pending = lengths.map((n) => String(n));
    const workers = [newWorkerLoad(), newWorkerLoad()];
    const freeAt = [0, 0];
    let instances = 0;
    while (pending.length > 0) {
      const w = freeAt[0]! <= freeAt[1]! ? 0 : 1;
      const at = pickTask(workers[w]!, [workers[1 - w]!], pending);
      const [key] = pending.splice(at, 1);
      if (!workers[w]!.held.includes(key!)) {
        instances++;
        freeAt[w]! += 3;
      }
      noteShape(workers[w]!, key!, 2);
      freeAt[w]! += Number(key);
    }
    expect(instances).toBeLessThanOrEqual(new Set(lengths).size + 1); // first-come order: 10 of 7 shapes
    expect(Math.abs(freeAt[0]! - freeAt[1]!)).toBeLessThanOrEqual(Math.max(...lengths) + 3);
  });
});
