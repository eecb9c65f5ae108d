// Kernel → a WebAssembly SIMD function over the module's one memory (buffers at fixed byte offsets).
// The kernel's Sx is lowered as it is, lane-parallel along one index variable; nothing here knows an
// op or a semiring by name. Two shapes are vectorised, read off the kernel's structure (simd/plan.ts):
//
//   map:    the vector variable is the target's last (contiguous) axis, so every lane updates its
//           own element; loops over the other variables (reductions included) run around it, and a
//           target block stays in registers across the reduction loops (unroll-and-jam: `tile`
//           neighbouring rows share every load that does not depend on the row).
//   reduce: the vector variable is reduced (target invariant in it) and each lane's update is
//           `acc ⊙ term` with ⊙ ∈ {+, max, min}: lanes accumulate partial results that are
//           combined across lanes at the end; tiles of target elements share loads.
//
// Loop-invariant subexpressions are computed once at the outermost loop they allow and shared
// (CSE) across the unrolled instances. A backward's kernels come with their semiring's declared
// traits (ir/semirings/semiring.ts), which say what an update `acc ⊕ term` may become: where 0̄
// absorbs, an instance whose consumer adjoint is 0̄ is skipped (lift(w) ⊗ 0̄ = 0̄, a ⊕ 0̄ = a); a
// log-sum-exp ⊕ accumulates scaled sums; a sign-swapping linear ⊗ is versioned on the sign order.
// A vector variable whose extent is not a multiple of the lane count (BERT's 30522-wide vocabulary
// row in f32x4) is vectorised over the largest multiple; its last points are a JS tail kernel that
// the module runs after the call. Anything else (scatter targets, guards, extents under one vector)
// returns null and stays a JS loop. A reduction over a row whose points enter only as the diagonal
// and as adjoints (a log-softmax row's Jacobian) becomes prefix and suffix ⊕ and a map (simd/leaveOneOut.ts).
//
// The parts, in simd/: plan.ts (form, levels, tiles), prepare.ts (the kernel's own preparation and
// constant caches), reductions.ts and versioning.ts (rewrites of the update), nodes.ts and lower.ts
// (Sx → value graph → instructions), emitKernel.ts (the loop nest), mathF32.ts (f32x4 exp, log),
// lseFallback.ts (the exact form of log-sum-exp sums where their row scaling cannot hold the terms),
// leaveOneOut.ts (rows reduced as the diagonal ⊕ the ⊕ of all other points, by prefix and suffix ⊕).

import type { Sx } from "../../../ir/scalar.ts";
import type { Kernel } from "../../kernel.ts";
import { leaveOneOutRewrite } from "./simd/leaveOneOut.ts";
import { emitKernel } from "./simd/emitKernel.ts";
import { ExprLowering } from "./simd/lower.ts";
import { planKernel, tailKernel } from "./simd/plan.ts";
import { ConstantCaches } from "./simd/prepare.ts";
import { type CompiledKernel, type KernelOptions, type LoweringTarget, SCRATCH, Unsupported, type WasmLayout } from "./simd/types.ts";
import { FuncBuilder, type ModuleBuilder } from "./wasm.ts";

export type { CompiledKernel, KernelOptions, WasmLayout } from "./simd/types.ts";

/** Scalar functions that WASM kernels of this precision take from the host, lane by lane. */
export const hostMath = (precision: "f32" | "f64"): string[] =>
  precision === "f64" ? ["exp", "log", "log1p", "tanh", "sin", "cos", "erf"] : ["sin", "cos"];

/** Ops the kernels lower through another function: their lanes need that one's import too. */
const LOWERED_THROUGH: Readonly<Record<string, string>> = { sigmoid: "exp" };

/** The host functions a module imports for kernels using `unaryOps`. */
export const hostImports = (precision: "f32" | "f64", unaryOps: ReadonlySet<string>): string[] =>
  hostMath(precision).filter((m) => unaryOps.has(m) || [...unaryOps].some((op) => LOWERED_THROUGH[op] === m));

export class KernelCompiler implements LoweringTarget {
  readonly layout: WasmLayout;
  readonly F: "f32" | "f64";
  readonly VX: "f32x4" | "f64x2";
  readonly L: number;
  readonly #math = new Map<string, number>();
  readonly #caches: ConstantCaches;
  /** Bytes of scratch the compiled kernels need (per thread). */
  scratchBytes = 0;

  /** `unaryOps`: the scalar functions the kernels use (only those are imported). */
  constructor(
    readonly mod: ModuleBuilder,
    layout: WasmLayout,
    unaryOps: ReadonlySet<string>,
  ) {
    // A rewritten kernel may read scratch (a row's prefix and suffix ⊕) as a one-axis buffer.
    this.layout = {
      precision: layout.precision,
      addr: (b) => layout.addr(b),
      isInt: (b) => b !== SCRATCH && layout.isInt(b),
      shapeOf: (b) => (b === SCRATCH ? [Number.MAX_SAFE_INTEGER] : layout.shapeOf(b)),
      isConst: (b) => b !== SCRATCH && layout.isConst(b),
      addBuffer: (name, shape) => layout.addBuffer(name, shape),
    };
    this.F = layout.precision;
    this.VX = layout.precision === "f32" ? "f32x4" : "f64x2";
    this.L = layout.precision === "f32" ? 4 : 2;
    // f64 lanes call the host's Math per lane (exact, as the JS loops); f32 lanes use polynomials.
    for (const name of hostImports(layout.precision, unaryOps)) this.#math.set(name, mod.importFunc(name, ["f64"], ["f64"]));
    this.#caches = new ConstantCaches(this.layout, (fill) => this.compile(fill, fill.name, { whole: true }));
  }

  /** Kernels that fill caches, to run once the parameters are in memory. */
  get prep(): readonly { name: string; extent: number }[] {
    return this.#caches.prep;
  }

  unfold(x: Sx): Sx | undefined {
    return this.#caches.unfold(x);
  }

  cacheOf(x: Sx, k: Kernel): Sx | undefined {
    return this.#caches.cacheOf(x, k);
  }

  /**
   * Compiles one kernel into an exported function `(lo, hi, scratchBase)` running its outermost
   * loop over [lo, hi) (multiples of `step`); null when it stays a JS loop. `split`: the outermost
   * loop writes disjoint target elements, so [0, extent) may be split across threads.
   */
  compile(k0: Kernel, exportName: string, opts: KernelOptions = {}): CompiledKernel | null {
    const km = k0.name.startsWith("prep_") ? k0 : this.#caches.materialize(k0);
    try {
      const loo = leaveOneOutRewrite(km, opts);
      // The separable form, where it applies (⊕ a sum), needs no scan and no scratch.
      const rewritten = loo && planKernel(km, opts, this)?.form !== "sep" ? loo : undefined;
      const k = rewritten?.kernel ?? km;
      const plan0 = planKernel(k, opts, this);
      if (!plan0) return null;
      const plan = rewritten ? { ...plan0, loo: rewritten.loo, note: `${plan0.note}, ⊕ over ${rewritten.loo.red.name} ≠ ${plan0.v} as prefix and suffix ⊕` } : plan0;
      const f = new FuncBuilder(["i32", "i32", "i32"], []);
      emitKernel(new ExprLowering(this, f, plan), k, opts);
      this.mod.addFunc(f, exportName);
      const outer = plan.levels[0]!;
      const work = plan.levels.reduce((p, lv) => p * lv.extent, 1);
      // (a leave-one-out row does its last points itself, after its scans)
      const tail = plan.tail === undefined || plan.loo ? undefined : tailKernel(k0, plan.v, plan.tail);
      return { note: plan.note, extent: outer.extent, step: outer.step, split: !plan.streams && (plan.accLevel > 0 || plan.form !== "reduce"), work, scratch: plan.form === "lse" || plan.loo !== undefined, ...(tail ? { tail } : {}) };
    } catch (e) {
      if (e instanceof Unsupported) {
        if (process.env["SEMIC_DEBUG_WASM"]) console.error(`kernel ${exportName} stays JS:`, e.stack);
        return null;
      }
      throw e;
    }
  }

  /**
   * Byte offset of a buffer. "@scratch", the kernels' temporaries, is addressed from the kernel's
   * third parameter (each thread has its own region, placed by the module): offset 0 here.
   */
  addr(ref: string): number {
    return ref === SCRATCH ? 0 : this.layout.addr(ref);
  }

  needScratch(bytes: number): void {
    this.scratchBytes = Math.max(this.scratchBytes, bytes);
  }

  mathImport(name: string): number | undefined {
    return this.#math.get(name);
  }
}
