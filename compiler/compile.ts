// The pipeline in one readable function: graph → (expansion) → backward plan → generated module.

import type { Graph } from "../ir/graph.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import { buildBackward, defaultWrt } from "./backward.ts";
import { renderJsModule, type JsModule } from "./backends/js/module.ts";
import { renderWgslModule, type WgslModule } from "./backends/wgsl/module.ts";
import type { Composite } from "../ir/passes/expand.ts";
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
}

export interface Compiled {
  readonly graph: Graph;
  readonly js: JsModule;
}

export function compileGraph(graph: Graph, opts: CompileOptions): Compiled {
  const g = expandFor(graph, opts.semantics ?? "element", opts.expand);
  const plan = buildBackward(g, opts.wrt && opts.wrt.length > 0 ? opts.wrt : defaultWrt(g));
  return { graph: g, js: renderJsModule(plan, semiringsFor(opts.semirings, opts.semantics ?? "element"), { precision: opts.precision, strict: opts.strict }) };
}

/** The same pipeline for the WebGPU target: a standalone JS module plus WGSL per pass. */
export function compileGraphWgsl(graph: Graph, opts: Omit<CompileOptions, "precision">): { readonly graph: Graph; readonly wgsl: WgslModule } {
  const g = expandFor(graph, opts.semantics ?? "element", opts.expand);
  const plan = buildBackward(g, opts.wrt && opts.wrt.length > 0 ? opts.wrt : defaultWrt(g));
  return { graph: g, wgsl: renderWgslModule(plan, semiringsFor(opts.semirings, opts.semantics ?? "element"), { strict: opts.strict }) };
}

/** Imports generated JS from memory (tests, `semic run`). */
export async function importModule(js: string): Promise<{ createModel: (params: Record<string, ArrayLike<number>>) => GeneratedModel }> {
  const url = `data:text/javascript;base64,${Buffer.from(js).toString("base64")}`;
  return (await import(/* @vite-ignore */ url)) as { createModel: (params: Record<string, ArrayLike<number>>) => GeneratedModel };
}

export interface GeneratedTensor {
  shape: number[];
  value: Float64Array;
  lanes: Record<string, Float32Array | Float64Array>;
}
export interface GeneratedStep {
  op: string;
  tensor: string;
  index: number[];
  weight: number;
}
export interface GeneratedResult {
  wrt: Record<string, GeneratedTensor>;
  branches: Record<string, GeneratedTensor>;
  aggregated?: Record<string, GeneratedTensor & { axes: number[] }>;
  topPath?: GeneratedStep[];
  topPathValue?: number;
  topPaths?: { value: number; steps: GeneratedStep[] }[];
}
export interface GeneratedModel {
  forward(inputs: Record<string, ArrayLike<number>>): number;
  backward(semiring: string): void;
  topPath(semiring: string, options?: { from?: string; index?: number[] }): { value: number; steps: GeneratedStep[] }[];
  run(
    inputs: Record<string, ArrayLike<number>>,
    options?: { semirings?: string[]; wrt?: string[]; aggregate?: Record<string, number[]>; topPath?: { from?: string; index?: number[] } | false; strict?: boolean },
  ): { output: number; results: Record<string, GeneratedResult>; warnings: string[] };
}
