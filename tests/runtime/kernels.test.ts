// The JS module's memory, WebAssembly instantiation and worker threads (runtime/module/{memory,
// kernels,threads}.ts), on a hand-built kernel that records the share [lo, hi) it was given.

import { availableParallelism } from "node:os";
import { describe, expect, test } from "vitest";
import { FuncBuilder, ModuleBuilder } from "../../compiler/backends/js/wasm.ts";
import { instantiateKernels, type KernelFn } from "../../runtime/module/kernels.ts";
import { newMemory } from "../../runtime/module/memory.ts";
import { startThreads, type SplitKernels } from "../../runtime/module/threads.ts";

const BASE = 64;

/** One kernel, `share(lo, hi, scratch)`: element lo of the f32 array at BASE becomes hi. */
function shareKernel(): { code: string; memoryFlagAt: number } {
  const mod = new ModuleBuilder(1);
  const f = new FuncBuilder(["i32", "i32", "i32"], []);
  f.get(0).i32(4).op("i32.mul").i32(BASE).op("i32.add").get(1).op("f32.convert_i32_s").mem("f32.store", 0);
  mod.addFunc(f, "share");
  const bytes = mod.encode();
  return { code: Buffer.from(bytes).toString("base64"), memoryFlagAt: mod.memoryFlagAt };
}

/** The shares a run recorded: [lo, hi) for every lo written, in order. */
function shares(memory: { buffer: ArrayBufferLike }, extent: number): [number, number][] {
  const view = new Float32Array(memory.buffer, BASE, extent);
  const out: [number, number][] = [];
  for (let lo = 0; lo < extent; lo++) if (view[lo] !== 0) out.push([lo, view[lo]!]);
  return out;
}

describe("memory and WebAssembly kernels", () => {
  test("the memory is shared where SharedArrayBuffer exists, and sized in pages", () => {
    const memory = newMemory(2);
    expect(memory.buffer.byteLength).toBe(2 * 65536);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  test("kernels instantiate on the module's memory, shared or plain (the memory flag patched)", () => {
    const kernel = shareKernel();
    for (const memory of [newMemory(1), new WebAssembly.Memory({ initial: 1, maximum: 1 })]) {
      const kernels = instantiateKernels(memory, { ...kernel, math: {} });
      expect(kernels).not.toBeNull();
      kernels!.exports["share"]!(3, 9, 0);
      expect(shares(memory, 8)).toEqual([[3, 9]]);
    }
  });

  test("without WebAssembly memory (plain bytes) there are no kernels: the JS loops run", () => {
    expect(instantiateKernels({ buffer: new ArrayBuffer(65536) }, { ...shareKernel(), math: {} })).toBeNull();
  });
});

describe("worker threads", () => {
  const plan = (scratchAt = 1024): SplitKernels => ({ kernels: ["share"], max: 3, scratchAt, scratch: 0, math: [], erf: null });

  test("on plain memory a split kernel runs whole on the calling thread, with its scratch address", () => {
    const calls: number[][] = [];
    const fn: KernelFn = (lo, hi, scratch) => void calls.push([lo, hi, scratch]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const kernels = instantiateKernels(memory, { ...shareKernel(), math: {} })!;
    startThreads(memory, kernels.module, plan(2048))(0, fn, 100, 4);
    expect(calls).toEqual([[0, 100, 2048]]);
  });

  test("on shared memory the shares cover the loop exactly once, split once the workers are ready", async () => {
    const memory = newMemory(1);
    const kernels = instantiateKernels(memory, { ...shareKernel(), math: {} })!;
    const run = startThreads(memory, kernels.module, plan());
    const share = kernels.exports["share"]!;
    const extent = 12;
    const covered = () => {
      const s = shares(memory, extent);
      expect(s[0]![0]).toBe(0);
      s.forEach(([, hi], i) => expect(hi).toBe(i + 1 < s.length ? s[i + 1]![0] : extent));
      return s.length;
    };
    run(0, share, extent, 1);
    expect(covered()).toBeGreaterThanOrEqual(1);
    if (Math.min(3, availableParallelism() - 1) < 1) return; // one core: no workers to wait for
    // Workers start asynchronously; until then each call runs whole on this thread.
    for (let tries = 0; tries < 1200; tries++) {
      new Float32Array(memory.buffer, BASE, extent).fill(0);
      run(0, share, extent, 1);
      if (covered() > 1) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the workers never took a share in 60 s");
  }, 120_000);
});
