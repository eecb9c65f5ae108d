// The high-level API, `compile(model, options)`: a model file (or a graph) and semiring names in,
// module sources out, exactly what `semic compile` writes. The CLI's compile command shares
// moduleSources and moduleFiles, so both name and produce the same files.

import { basename, dirname, extname, join } from "node:path";
import type { Graph } from "../ir/graph.ts";
import { DEFAULT_TOPK } from "../ir/semirings/index.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import type { Composite } from "../ir/passes/expand.ts";
import type { ConfigOverrides } from "./frontend/index.ts";
import type { CompileOptions } from "./compile.ts";

export type Target = "js" | "wgsl";

/** A generated module: the JS target's ES module, or the WGSL target's host module and WGSL per pass. */
export interface ModuleSources {
  readonly target: Target;
  /** The ES module (`createModel(params)`, or `createModel(device, params)` for wgsl). */
  readonly js: string;
  /** Its TypeScript declarations. */
  readonly dts: string;
  /** wgsl target only: the WGSL of each pass (also embedded in `js`), for reading. */
  readonly wgsl?: Readonly<Record<string, string>>;
  /** js target: the WebAssembly kernels, a file beside the module (absent when no kernel compiled). */
  readonly wasm?: { readonly file: string; readonly bytes: Uint8Array };
}

export interface ModelCompileOptions {
  /** Built-in semiring names, names of semirings the model file exports, or Semiring values. */
  readonly semirings: readonly (string | Semiring)[];
  /** "js" (default) or "wgsl". */
  readonly target?: Target;
  /** Tensors to differentiate with respect to (default: f32 inputs and name()d tensors). */
  readonly wrt?: readonly string[];
  /** k of the topk semiring (default 3). */
  readonly topk?: number;
  /** Storage precision of the JS target's buffers (default f32; the wgsl target is f32). */
  readonly precision?: "f32" | "f64";
  /** Overrides of a DSL model's config, as `--config key=value` gives them. */
  readonly config?: ConfigOverrides;
  /** Composites to rewrite into elementary ops first. */
  readonly expand?: readonly Composite[];
}

export interface CompiledModel extends ModuleSources {
  /** The model's graph (after --config and --expand). */
  readonly graph: Graph;
  /** The semirings compiled, in order. */
  readonly semirings: readonly Semiring[];
  /** The files `semic compile` writes for it, by name: `<model>.<semirings>.js`, `.d.ts` and `.wasm`, or the wgsl set. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
}

/**
 * The module of `graph` for the given target. `base`: the path its files will have, without
 * extension; without it the JS target's kernels stay inline (a module imported from memory).
 */
export async function moduleSources(graph: Graph, options: CompileOptions, target: Target, base?: string): Promise<ModuleSources> {
  const { compileGraph, compileGraphWgsl } = await import("./compile.ts");
  if (target === "js") {
    const { js } = compileGraph(graph, base === undefined ? options : { ...options, wasmFile: `${basename(base)}.wasm` });
    return { target, js: js.js, dts: js.dts, ...(js.wasm ? { wasm: js.wasm } : {}) };
  }
  const { wgsl } = compileGraphWgsl(graph, options);
  return { target, js: wgsl.js, dts: wgsl.dts, wgsl: wgsl.wgsl };
}

/**
 * File names and contents as `semic compile` writes them under `base` (a path without extension):
 * `<base>.js`, `.d.ts` and the WebAssembly kernels `<base>.wasm` (loaded from beside the module, so
 * they travel together); for wgsl `<base>.webgpu.js` and `.webgpu.d.ts` (named apart from the JS
 * target's module) and `<base>.<pass>.wgsl` for reading.
 */
export function moduleFiles(sources: ModuleSources, base: string): Map<string, string | Uint8Array> {
  if (sources.target === "js") {
    const files = new Map<string, string | Uint8Array>([[`${base}.js`, sources.js], [`${base}.d.ts`, sources.dts]]);
    if (sources.wasm) files.set(join(dirname(base), sources.wasm.file), sources.wasm.bytes);
    return files;
  }
  const files = new Map<string, string | Uint8Array>([[`${base}.webgpu.js`, sources.js], [`${base}.webgpu.d.ts`, sources.dts]]);
  for (const [pass, text] of Object.entries(sources.wgsl ?? {})) files.set(`${base}.${pass}.wgsl`, text);
  return files;
}

/** `<stem>.<semiring names joined by +>`, the base name of a compiled module's files. */
export const moduleBase = (stem: string, semirings: readonly Semiring[]): string => `${stem}.${semirings.map((s) => s.name).join("+")}`;

/** A model file's name without folder and extension. */
export const modelStem = (file: string): string => basename(file, extname(file));

function checkOptions(o: ModelCompileOptions): void {
  if (o.target !== undefined && o.target !== "js" && o.target !== "wgsl") throw new Error(`compile: target must be "js" or "wgsl", got ${JSON.stringify(o.target)}`);
  if (o.precision !== undefined && o.precision !== "f32" && o.precision !== "f64") throw new Error(`compile: precision must be "f32" or "f64", got ${JSON.stringify(o.precision)}`);
  if (o.topk !== undefined && !(Number.isInteger(o.topk) && o.topk >= 1)) throw new Error(`compile: topk must be a positive integer, got ${String(o.topk)}`);
  if (!Array.isArray(o.semirings)) throw new Error("compile: semirings must be an array of semiring names or values");
}

/**
 * Compiles a model's semiring backward passes: `model` is a DSL (.ts) or textual-IR (.semic, .ir)
 * file, or a graph. Errors a user can cause (a bad model, an unknown semiring…) are thrown as
 * errors whose message is one located line.
 */
export async function compile(model: string | Graph, options: ModelCompileOptions): Promise<CompiledModel> {
  checkOptions(options);
  const { loadGraph, resolveSemirings } = await import("./cli/load.ts");
  let graph: Graph;
  let own: readonly Semiring[] = [];
  if (typeof model === "string") ({ graph, semirings: own } = await loadGraph(model, { config: options.config ?? {}, expand: options.expand ?? [] }));
  else {
    if (options.config && Object.keys(options.config).length > 0) throw new Error("compile: config applies to DSL model files, not to a graph");
    const { expandComposites } = await import("../ir/passes/expand.ts");
    graph = options.expand && options.expand.length > 0 ? expandComposites(model, options.expand) : model;
  }
  const given = options.semirings.filter((s): s is Semiring => typeof s !== "string");
  const names = options.semirings.map((s) => (typeof s === "string" ? s : s.name));
  const semirings = resolveSemirings(names, [...own, ...given], options.topk ?? DEFAULT_TOPK);
  const compileOptions: CompileOptions = { semirings, wrt: options.wrt ?? [], precision: options.precision ?? "f32" };
  const base = moduleBase(typeof model === "string" ? modelStem(model) : graph.name, semirings);
  const sources = await moduleSources(graph, compileOptions, options.target ?? "js", base);
  return { ...sources, graph, semirings, files: moduleFiles(sources, base) };
}
