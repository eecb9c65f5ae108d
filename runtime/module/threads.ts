// Threads (Node's worker_threads) for the JS module's biggest kernels: each worker instantiates the
// kernels on the shared memory and runs, on request, one kernel over a share [lo, hi) of its
// outermost loop (a loop whose points write disjoint elements). Requests go through a small shared
// Int32Array per worker: [seq, kernel, lo, hi, done, ready]. Workers spin briefly between requests,
// then sleep (Atomics.wait); they never keep the process alive. Elsewhere, or before the workers
// are ready, kernels run on the calling thread. Embedded as text only in modules with such kernels.

import type { KernelFn } from "./kernels.ts";
import type { ModuleMemory } from "./memory.ts";

/** What the generated module knows of its splittable kernels. */
export interface SplitKernels {
  /** Kernels that may run split, by id (their position). */
  readonly kernels: readonly string[];
  /** Worker threads at most, besides the calling one. */
  readonly max: number;
  /** Address of the calling thread's scratch region; worker w's follows at scratchAt + (w + 1)·scratch. */
  readonly scratchAt: number;
  /** Bytes of scratch per thread. */
  readonly scratch: number;
  /** Names of the host functions the kernels import. */
  readonly math: readonly string[];
  /** The module's erf, as source, when the kernels import it (a worker cannot share functions). */
  readonly erf: string | null;
}

/** Runs kernel `id` (fn on this thread) over [0, extent), split in multiples of `step`. */
export type SplitRun = (id: number, fn: KernelFn, extent: number, step: number) => void;

const workerSource = [
  "const { workerData } = require('node:worker_threads');",
  "const { module, memory, ctrl, base, names, math, scratch, erfSource } = workerData;",
  "const erf = erfSource ? new Function(erfSource + '; return erf;')() : null;",
  "const imports = {};",
  "for (const m of math) imports[m] = m === 'erf' ? erf : Math[m];",
  "const ex = new WebAssembly.Instance(module, { env: { memory }, math: imports }).exports;",
  "const fns = names.map((n) => ex[n]);",
  "Atomics.store(ctrl, base + 5, 1);",
  "let seen = 0;",
  "for (;;) {",
  "  let s = Atomics.load(ctrl, base);",
  "  for (let i = 0; s === seen && i < 100000; i++) s = Atomics.load(ctrl, base);",
  "  if (s === seen) { Atomics.wait(ctrl, base, seen, 50); continue; }",
  "  seen = s;",
  "  fns[ctrl[base + 1]](ctrl[base + 2], ctrl[base + 3], scratch);",
  "  Atomics.store(ctrl, base + 4, seen);",
  "  Atomics.notify(ctrl, base + 4);",
  "}",
].join("\n");

interface NodeBuiltins {
  getBuiltinModule?(id: "node:worker_threads"): typeof import("node:worker_threads") | undefined;
  getBuiltinModule?(id: "node:os"): typeof import("node:os") | undefined;
}

/** Starts the workers (where Node, shared memory and more than one core allow) and returns how to run a split kernel. */
export function startThreads(memory: ModuleMemory, module: WebAssembly.Module, plan: SplitKernels): SplitRun {
  const alone: SplitRun = (_id, fn, extent) => void fn(0, extent, plan.scratchAt);
  const proc = (globalThis as { process?: NodeBuiltins }).process;
  const wt = proc?.getBuiltinModule?.("node:worker_threads");
  const os = proc?.getBuiltinModule?.("node:os");
  if (!wt || !os || plan.kernels.length === 0 || !(memory.buffer instanceof SharedArrayBuffer)) return alone;
  const count = Math.min(plan.max, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  if (count < 1) return alone;
  const ctrl = new Int32Array(new SharedArrayBuffer(count * 32));
  for (let w = 0; w < count; w++) {
    const workerData = { module, memory, ctrl, base: w * 8, names: plan.kernels, math: plan.math, scratch: plan.scratchAt + (w + 1) * plan.scratch, erfSource: plan.erf };
    new wt.Worker(workerSource, { eval: true, workerData }).unref();
  }
  let seq = 0;
  let ready = false;
  return (id, fn, extent, step) => {
    ready ||= [...Array(count).keys()].every((w) => Atomics.load(ctrl, w * 8 + 5) === 1);
    const units = Math.ceil(extent / step);
    if (!ready || units < 2) return void fn(0, extent, plan.scratchAt);
    const parts = Math.min(count + 1, units);
    const per = Math.ceil(units / parts) * step;
    seq++;
    const busy: number[] = [];
    for (let w = 0; w < parts - 1; w++) {
      const lo = (w + 1) * per;
      const hi = Math.min(extent, lo + per);
      if (lo >= hi) break;
      const b = w * 8;
      ctrl[b + 1] = id;
      ctrl[b + 2] = lo;
      ctrl[b + 3] = hi;
      Atomics.store(ctrl, b, seq);
      Atomics.notify(ctrl, b);
      busy.push(b);
    }
    fn(0, Math.min(per, extent), plan.scratchAt);
    for (const b of busy)
      for (let i = 0; Atomics.load(ctrl, b + 4) !== seq; i++) if (i > 20000) Atomics.wait(ctrl, b + 4, Atomics.load(ctrl, b + 4), 1);
  };
}
