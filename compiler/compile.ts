// The pipeline in one readable function: graph → (expansion) → backward plan → generated module.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Graph } from "../ir/graph.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import { buildBackward, defaultWrt } from "./backward.ts";
import { renderJsModule, type JsModule } from "./backends/js/module.ts";
import { renderWgslModule, type WgslModule } from "./backends/wgsl/module.ts";
import type { Composite } from "../ir/passes/expand.ts";
import type { PathStep, RunOptions, SemiringResult, Tensor } from "../runtime/module/types.ts";
import { expandFor, semiringsFor, type SemanticsName } from "./semantics.ts";

export interface CompileOptions {
  readonly semirings: readonly Semiring[];
  /** Tensors to differentiate with respect to (default: f32 inputs and name()d tensors). */
  readonly wrt?: readonly string[];
  /** Rewrite these composites into elementary ops first. */
  readonly expand?: readonly Composite[];
  readonly precision?: "f32" | "f64";
  /** "element" (default): the paper's Eq. 5; "paper": its library's tensor-level max-product. */
  readonly semantics?: SemanticsName;
  /** The module treats a non-finite forward value as an error by default (run({ strict }) overrides). */
  readonly strict?: boolean;
  /** JS target: the WebAssembly kernels go to this file beside the module instead of inline (semic compile). */
  readonly wasmFile?: string;
  /** JS target: time every step of forward and backward into globalThis.__semicProfile (semic run --profile). */
  readonly profile?: boolean;
}

export interface Compiled {
  readonly graph: Graph;
  readonly js: JsModule;
}

export function compileGraph(graph: Graph, opts: CompileOptions): Compiled {
  const g = expandFor(graph, opts.semantics ?? "element", opts.expand);
  const plan = buildBackward(g, opts.wrt && opts.wrt.length > 0 ? opts.wrt : defaultWrt(g));
  return { graph: g, js: renderJsModule(plan, semiringsFor(opts.semirings, opts.semantics ?? "element"), { precision: opts.precision, strict: opts.strict, wasmFile: opts.wasmFile, profile: opts.profile }) };
}

/** The same pipeline for the WebGPU target: a standalone JS module plus WGSL per pass. */
export function compileGraphWgsl(graph: Graph, opts: Omit<CompileOptions, "precision">): { readonly graph: Graph; readonly wgsl: WgslModule } {
  const g = expandFor(graph, opts.semantics ?? "element", opts.expand);
  const plan = buildBackward(g, opts.wrt && opts.wrt.length > 0 ? opts.wrt : defaultWrt(g));
  return { graph: g, wgsl: renderWgslModule(plan, semiringsFor(opts.semirings, opts.semantics ?? "element"), { strict: opts.strict }) };
}

type Imported = { createModel: (params: Record<string, ArrayLike<number>>) => GeneratedModel };

/**
 * Imports a generated module from memory (tests, `semic run`): its JS, or its sources with the
 * WebAssembly kernels file beside it, which are then written to a temporary folder first (removed
 * when the process exits) so that the module finds the file as it would beside itself.
 */
export async function importModule(source: string | { readonly js: string; readonly wasm?: { readonly file: string; readonly bytes: Uint8Array } }): Promise<Imported> {
  const { js, wasm } = typeof source === "string" ? { js: source, wasm: undefined } : source;
  if (!wasm) {
    try {
      return (await import(/* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as Imported;
    } catch (e) {
      // A data: URL is no base for the kernels file's relative URL.
      if (e instanceof TypeError && js.includes("file: new URL(")) throw new Error("importModule: this module loads its WebAssembly kernels from a .wasm file beside it: pass its sources ({ js, wasm }), not only its JS");
      throw e;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "semic-module-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, wasm.file), wasm.bytes);
  writeFileSync(join(dir, "module.js"), js);
  return (await import(/* @vite-ignore */ pathToFileURL(join(dir, "module.js")).href)) as Imported;
}

// The generated modules' result types, under the names this package exports (one definition:
// runtime/module/types.ts, which every generated .d.ts also declares).
export type GeneratedTensor = Tensor;
export type GeneratedStep = PathStep;
export type GeneratedResult = SemiringResult<string, string>;
export type GeneratedRunOptions = RunOptions<string, string>;
export interface GeneratedModel {
  forward(inputs: Record<string, ArrayLike<number>>): number;
  backward(semiring: string): void;
  topPath(semiring: string, options?: GeneratedRunOptions["topPath"]): { value: number; steps: GeneratedStep[] }[];
  run(inputs: Record<string, ArrayLike<number>>, options?: GeneratedRunOptions): { output: number; results: Record<string, GeneratedResult>; warnings: string[] };
}
