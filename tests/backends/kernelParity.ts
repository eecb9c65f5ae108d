// Runs a model's kernels one at a time both ways: as the JS loops the module renders (the fallback
// where WebAssembly SIMD is missing, which no module test reaches on a machine that has it) and as
// the WebAssembly kernels, from the same memory state. Each kernel's targets are compared, then
// the JS result is kept, so every kernel is checked on the values its predecessors really produce.
// The set-up mirrors what js/module.ts does for a module: one memory with every buffer at a fixed
// offset, caches filled once from the parameters, one KernelCompiler for the forward and every
// semiring's backward (with that semiring's 0̄ lanes and traits).

import { buildBackward, defaultWrt } from "../../compiler/backward.ts";
import { CodeBuilder } from "../../compiler/backends/emit.ts";
import { renderKernel, type RenderState } from "../../compiler/backends/js/render.ts";
import { jsHelpers } from "../../compiler/backends/js/scalar.ts";
import { hostImports, KernelCompiler, type KernelOptions } from "../../compiler/backends/js/vectorize.ts";
import { ModuleBuilder } from "../../compiler/backends/js/wasm.ts";
import type { Kernel, Step } from "../../compiler/kernel.ts";
import { adjointBuffer, adjointBuffers, backwardSteps, forwardBuffers, forwardSteps, valueBuffer } from "../../compiler/schedule.ts";
import type { Graph } from "../../ir/graph.ts";
import { opRules } from "../../ir/ops/index.ts";
import * as S from "../../ir/scalar.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { sizeOf } from "../../ir/types.ts";

export interface KernelDiff {
  /** `bwd_12_0 (entropy)`, say. */
  readonly kernel: string;
  readonly note: string;
  /** Largest |js − wasm| over the targets, relative to max(1, largest |js| of that target). */
  readonly error: number;
  /** Where the two differ in being finite or in which infinity, or a NaN (never allowed). */
  readonly mismatch?: string;
}

export interface ParityRun {
  readonly diffs: KernelDiff[];
  /** Kernels that stay JS loops in the module too (nothing to compare). */
  readonly jsOnly: number;
}

type Arr = Float32Array | Float64Array | Int32Array;

function unaryOps(steps: readonly Step[]): Set<string> {
  const ops = new Set<string>(["exp", "log"]);
  const visit = (x: S.Sx) => {
    if (x.k === "un") ops.add(x.op);
    for (const ch of S.children(x)) visit(ch);
  };
  for (const st of steps) if (st.k === "kernel") [...st.kernel.update, ...st.kernel.index].forEach(visit);
  return ops;
}

/** One JS function per kernel: its loops over the buffers, taken by name from `B`. */
function jsKernel(k: Kernel, shapeOf: (b: string) => readonly number[], names: readonly string[]): (B: Record<string, Arr>) => void {
  const out = new CodeBuilder();
  const state: RenderState = { helpers: new Set() };
  renderKernel(k, shapeOf, out, state);
  const helpers = [...state.helpers].map((h) => jsHelpers[h]!).join("\n");
  const body = `const { ${names.join(", ")} } = B;\n${helpers}\n${out.toString()}`;
  return new Function("B", body) as (B: Record<string, Arr>) => void;
}

export function runParity(g: Graph, semirings: readonly Semiring[], feed: Record<string, ArrayLike<number>>, precision: "f32" | "f64"): ParityRun {
  const plan = buildBackward(g, defaultWrt(g));
  const fwdBufs = forwardBuffers(g);
  const adj = new Map(semirings.map((sr) => [sr, adjointBuffers(plan, sr)]));
  const bufs = [...fwdBufs, ...[...adj.values()].flat()];
  const shapes = new Map(bufs.map((b) => [b.name, b.shape]));
  const ints = new Set(bufs.filter((b) => b.dtype === "i32").map((b) => b.name));
  const role = (node: number) => opRules[g.nodes[node]!.op].role;
  const consts = new Set(fwdBufs.filter((b) => b.kind === "value" && (role(b.node) === "param" || role(b.node) === "constant")).map((b) => b.name));
  const offsets = new Map<string, number>();
  let bytes = 64;
  const place = (name: string, shape: readonly number[], size: number) => {
    offsets.set(name, bytes);
    shapes.set(name, shape);
    bytes += Math.ceil(Math.max(sizeOf(shape) * size, 1) / 64) * 64;
  };
  const fsize = precision === "f64" ? 8 : 4;
  for (const b of bufs) place(b.name, b.shape, b.dtype === "i32" ? 4 : fsize);
  const shapeOf = (b: string) => shapes.get(b) ?? (() => { throw new Error(`no buffer ${b}`); })();

  const fwd = forwardSteps(g);
  const bwd = semirings.map((sr) => ({ sr, steps: backwardSteps(plan, sr) }));
  const ops = unaryOps([...fwd, ...bwd.flatMap((b) => b.steps)]);
  const mod = new ModuleBuilder(1);
  const compiler = new KernelCompiler(mod, {
    precision,
    addr: (b) => offsets.get(b)!,
    isInt: (b) => ints.has(b),
    shapeOf,
    isConst: (b) => consts.has(b),
    addBuffer: (name, shape) => place(name, shape, fsize),
  }, ops);
  // Compile everything first (as the module does: caches and scratch are known only then).
  type Planned = { step: Step; label: string; wasm?: { name: string; extent: number; note: string; scratch: boolean; tail?: Kernel } };
  const planned: Planned[] = [];
  const compileAll = (steps: readonly Step[], prefix: string, opts: KernelOptions) => {
    for (const step of steps) {
      if (step.k === "fill") {
        planned.push({ step, label: "fill" });
        continue;
      }
      const name = `${prefix}${step.kernel.name}`;
      const c = compiler.compile(step.kernel, name, opts);
      const label = `${step.kernel.name}${prefix ? ` (${prefix.slice(0, -1)})` : ""}`;
      planned.push({ step, label, ...(c ? { wasm: { name, extent: c.extent, note: c.note, scratch: c.scratch, ...(c.tail ? { tail: c.tail } : {}) } } : {}) });
    }
  };
  compileAll(fwd, "", {});
  for (const { sr, steps } of bwd) {
    const laneOf = new Map(adj.get(sr)!.map((b) => [b.name, sr.lanes.findIndex((l) => b.name === adjointBuffer(b.node, l))]));
    const zeroOf = new Map([...laneOf].map(([b, l]) => [b, sr.zero[l]!]));
    compileAll(steps, `${sr.name}_`, { backward: { zeroOf, traits: sr.traits, plus: (a, b) => sr.plus(a, b), laneOf } });
  }
  const scratchAt = bytes;
  bytes += Math.ceil(compiler.scratchBytes / 64) * 64;
  mod.memoryPages = Math.ceil((bytes + 64) / 65536);
  const memory = new WebAssembly.Memory({ initial: mod.memoryPages, maximum: mod.memoryPages, shared: true });
  const erf = new Function(`${jsHelpers["erf"]!}\nreturn erf;`) as () => (x: number) => number;
  const math: Record<string, (x: number) => number> = {};
  for (const m of hostImports(precision, ops)) math[m] = m === "erf" ? erf() : (Math[m as keyof Math] as (x: number) => number);
  const K = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory }, math }).exports as Record<string, (lo: number, hi: number, scratch: number) => void>;

  const B: Record<string, Arr> = {};
  for (const [name, at] of offsets) {
    const n = sizeOf(shapeOf(name));
    B[name] = ints.has(name) ? new Int32Array(memory.buffer, at, n) : precision === "f64" ? new Float64Array(memory.buffer, at, n) : new Float32Array(memory.buffer, at, n);
  }
  for (const n of g.nodes) {
    const r = opRules[n.op].role;
    if (r === "param" || r === "input") B[valueBuffer(g, n.id)]!.set(feed[n.attrs["name"] as string]!);
    if (r === "constant") B[valueBuffer(g, n.id)]!.set(n.attrs["values"] as number[]);
  }
  for (const { name, extent } of compiler.prep) K[name]!(0, extent, 0);

  const names = [...offsets.keys()];
  const diffs: KernelDiff[] = [];
  let jsOnly = 0;
  for (const { step, label, wasm } of planned) {
    if (step.k === "fill") {
      B[step.buffer]!.fill(step.value);
      continue;
    }
    const k = step.kernel;
    const js = jsKernel(k, shapeOf, names);
    if (!wasm) {
      js(B);
      jsOnly++;
      continue;
    }
    const before = k.targets.map((t) => B[t]!.slice());
    js(B);
    const want = k.targets.map((t) => B[t]!.slice());
    k.targets.forEach((t, l) => B[t]!.set(before[l]!));
    K[wasm.name]!(0, wasm.extent, wasm.scratch ? scratchAt : 0);
    if (wasm.tail) jsKernel(wasm.tail, shapeOf, names)(B);
    let error = 0;
    let mismatch: string | undefined;
    k.targets.forEach((t, l) => {
      const got = B[t]!, ref = want[l]!;
      let scale = 1;
      for (const x of ref) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
      for (let i = 0; i < ref.length; i++) {
        const [a, b] = [ref[i]!, got[i]!];
        if (Number.isFinite(a) && Number.isFinite(b)) {
          error = Math.max(error, Math.abs(a - b) / scale);
        }
        else if (a !== b || Number.isNaN(a)) mismatch ??= `${t}[${i}]: JS ${a}, WebAssembly ${b}`;
      }
      B[t]!.set(ref);
    });
    diffs.push({ kernel: label, note: wasm.note, error, ...(mismatch ? { mismatch } : {}) });
  }
  return { diffs, jsOnly };
}
