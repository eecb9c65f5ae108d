// What the CLI reads before compiling: the model (a DSL .ts file or a textual-IR file), the
// semirings named by --semiring, and option values parsed into the compiler's terms. Every
// problem here is a CliError: a user error, reported in one line.

import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import type { Graph } from "../../ir/graph.ts";
import { expandComposites, type Composite } from "../../ir/passes/expand.ts";
import { DEFAULT_TOPK, semiringByName, semiringNames } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import type { ConfigOverrides } from "../frontend/index.ts";
import { MAX_TOPK, maxNodes, parseBytes } from "../limits.ts";
import { isHfDir, isOnnxFile, isTfjsModel, type ImportOptions } from "../importers/options.ts";

// The frontend (ts-morph) and the IR parser (chevrotain) each take a second or more to import:
// they are loaded only for the kind of file at hand.

/** A user error found by the CLI itself (bad option value, missing file…). */
export class CliError extends Error {
  readonly code = "E_CLI";
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** File extensions read as textual IR; anything else is a DSL (TypeScript) model. */
const irExtensions = new Set([".semic", ".ir"]);
export const isIrFile = (file: string): boolean => irExtensions.has(extname(file).toLowerCase());

/** Fails unless `file` is a readable regular file; `what` names it in the message. */
export function requireFile(file: string, what: string): void {
  if (!existsSync(file)) throw new CliError(`${file}: no such ${what}`);
  if (!statSync(file).isFile()) throw new CliError(`${file}: ${what} is not a regular file`);
}

export interface LoadedGraph {
  readonly graph: Graph;
  /** Semirings the model file exports (defineSemiring); none for an IR file. */
  readonly semirings: readonly Semiring[];
  /**
   * Weights the model carries (ONNX initializers, a checkpoint's safetensors), the id range of each
   * integer input, and for a checkpoint with --text the inputs themselves.
   */
  readonly weights?: {
    readonly params: Record<string, Float32Array>;
    readonly idRanges: Record<string, number>;
    readonly inputs?: Record<string, Int32Array>;
  };
}

/** The model of a .ts DSL file or of a .semic/.ir textual-IR file, with composites expanded. */
export async function loadGraph(
  file: string,
  opts: { config: ConfigOverrides; expand: readonly Composite[]; import?: ImportOptions },
): Promise<LoadedGraph> {
  let graph: Graph;
  let semirings: readonly Semiring[] = [];
  let weights: LoadedGraph["weights"];
  if (isHfDir(file)) {
    if (Object.keys(opts.config).length > 0) throw new CliError(`--config applies to DSL (.ts) models only: ${file} is a checkpoint directory (its config.json sets the sizes)`);
    const { loadHf } = await import("../importers/hf/index.ts");
    ({ graph, ...weights } = loadHf(file, opts.import ?? {}));
    return { graph: opts.expand.length > 0 ? expandComposites(graph, opts.expand) : graph, semirings, weights };
  }
  if (isTfjsModel(file)) {
    if (Object.keys(opts.config).length > 0) throw new CliError(`--config applies to DSL (.ts) models only: ${file} is a TF.js graph model`);
    const { importTfjs } = await import("../importers/tfjs/index.ts");
    const { graph: g, params, idRanges } = importTfjs(file, opts.import ?? { fuse: [], branches: [], names: [] });
    // A graph whose inputs were all fixed at import (a --text sentence) runs without --inputs.
    const fixed = g.nodes.some((n) => n.op === "input") ? {} : { inputs: {} };
    return { graph: opts.expand.length > 0 ? expandComposites(g, opts.expand) : g, semirings, weights: { params, idRanges, ...fixed } };
  }
  requireFile(file, "model file");
  if (isOnnxFile(file)) {
    if (Object.keys(opts.config).length > 0) throw new CliError(`--config applies to DSL (.ts) models only: ${file} is an ONNX graph`);
    const { importOnnx } = await import("../importers/onnx/index.ts");
    ({ graph, ...weights } = importOnnx(file, opts.import ?? { fuse: [], branches: [], names: [] }));
  } else if (isIrFile(file)) {
    if (Object.keys(opts.config).length > 0)
      throw new CliError(`--config applies to DSL (.ts) models only: ${file} is textual IR, its shapes are already fixed`);
    const text = readFileSync(file, "utf8");
    // Each node is one `%N = op …` line; a file with too many is refused before the slow parse.
    const nodes = text.match(/^\s*%\w+\s*=/gm)?.length ?? 0;
    if (nodes > maxNodes())
      throw new CliError(`${file}: ${nodes} nodes: a model this large cannot be compiled within Node's heap limit (at most about ${maxNodes()} nodes; each needs ≈ 80 KiB of heap to generate its code)`);
    const { parseGraph } = await import("../../ir/text/toIr.ts");
    graph = parseGraph(text, file);
  } else {
    const { loadModel } = await import("../frontend/index.ts");
    const loaded = loadModel(file, { config: opts.config });
    graph = loaded.graph;
    semirings = loaded.semirings;
  }
  if (opts.expand.length > 0) graph = expandComposites(graph, opts.expand);
  return { graph, semirings, ...(weights ? { weights } : {}) };
}

/** Semirings exported by each `--semirings-from` file. */
export async function loadSemiringFiles(files: readonly string[]): Promise<Semiring[]> {
  if (files.length === 0) return [];
  const { loadSemirings } = await import("../frontend/index.ts");
  return files.flatMap((file) => {
    requireFile(file, "semirings file");
    const found = loadSemirings(file);
    if (found.length === 0) throw new CliError(`${file} exports no semiring (export const mine = defineSemiring({…}))`);
    return found;
  });
}

/**
 * The semirings named on the command line, in order, without duplicates: built-ins by name
 * (topk with `k`), then user semirings (from the model file or --semirings-from).
 */
export function resolveSemirings(names: readonly string[], user: readonly Semiring[], k: number): Semiring[] {
  if (names.length === 0) throw new CliError(`no semiring given: use --semiring NAME[,NAME…] (valid names: ${semiringNames.join(", ")})`);
  const byName = new Map(user.map((s) => [s.name, s]));
  const chosen = new Map<string, Semiring>();
  for (const name of names) {
    if (chosen.has(name)) continue;
    if ((semiringNames as readonly string[]).includes(name)) chosen.set(name, semiringByName(name, { k }));
    else if (byName.has(name)) chosen.set(name, byName.get(name)!);
    else {
      const valid = [...semiringNames, ...byName.keys()].join(", ");
      throw new CliError(`unknown semiring "${name}" (valid names: ${valid})`);
    }
  }
  return [...chosen.values()];
}

// ---- option values

/** "a,b" "c" → ["a", "b", "c"]: list options may be repeated and comma-separated. */
export const splitList = (values: readonly string[] | undefined): string[] =>
  (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");

const modelExtensions = /\.(ts|mts|semic|ir|onnx|json|safetensors)$/i;

/**
 * Words an option with several values may take after its first: `--wrt x h w1` reads as
 * `--wrt x --wrt h --wrt w1`, but a word that cannot be one of its values (a file, the model)
 * stays a positional argument, so `semic compile --wrt x model.ts` does not swallow the model.
 */
const moreValues: Readonly<Record<string, (word: string) => boolean>> = {
  "--wrt": (w) => !modelExtensions.test(w) && !(existsSync(w) && statSync(w).isFile()),
  "--config": (w) => /^[^=]+=/.test(w),
  "--aggregate": (w) => /^[^:]+:[-\d, ]+$/.test(w),
};

/** argv with the extra values of `--wrt a b`, `--config k=v l=w`, `--aggregate h:0 e:1` spelled as repeated options. */
export function spreadMultiValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i]!;
    out.push(option);
    if (option === "--") return [...out, ...argv.slice(i + 1)];
    const more = moreValues[option];
    if (!more || i + 1 >= argv.length) continue;
    out.push(argv[++i]!);
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith("-") && more(argv[i + 1]!)) out.push(option, argv[++i]!);
  }
  return out;
}

/** Commander collector for repeatable list options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const composites: Record<string, Composite> = {
  softmax: "softmax",
  layerNorm: "layer_norm",
  layer_norm: "layer_norm",
  logSoftmax: "log_softmax",
  log_softmax: "log_softmax",
};

/** --expand softmax,layerNorm,logSoftmax (or the IR op names, or "all"). */
export function parseExpand(values: readonly string[] | undefined): Composite[] {
  const out = new Set<Composite>();
  for (const v of splitList(values)) {
    if (v === "all") Object.values(composites).forEach((c) => out.add(c));
    else if (Object.hasOwn(composites, v)) out.add(composites[v]!);
    else throw new CliError(`--expand: unknown composite "${v}" (valid: softmax, layerNorm, logSoftmax, all)`);
  }
  return [...out];
}

/** --config key=value… → overrides (strings; the frontend coerces them to each default's type). */
export function parseConfig(values: readonly string[] | undefined): ConfigOverrides {
  const out: Record<string, string> = {};
  for (const kv of values ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new CliError(`--config: expected key=value, got "${kv}"`);
    out[kv.slice(0, eq).trim()] = kv.slice(eq + 1);
  }
  return out;
}

export function parsePositiveInt(option: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${option}: expected a positive integer, got "${value}"`);
  return n;
}

/** --topk K: a positive integer up to MAX_TOPK (limits.ts says why). */
export function parseTopk(value: string | undefined): number {
  const k = parsePositiveInt("--topk", value, DEFAULT_TOPK);
  if (k > MAX_TOPK)
    throw new CliError(`--topk: at most ${MAX_TOPK}, got ${value}: the generated code unrolls each topk ⊗ as a k×k merge, so its size and compile time grow as k²`);
  return k;
}

/** --max-memory SIZE (8G, 512M, bytes). */
export function parseMaxMemory(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = parseBytes(value);
  if (n === undefined) throw new CliError(`--max-memory: expected a size such as 8G, 512M or a number of bytes, got "${value}"`);
  return n;
}

export function parseChoice<T extends string>(option: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new CliError(`${option}: expected one of ${choices.join(", ")}, got "${value}"`);
  return value as T;
}

/** "1,2" → [1, 2]; negative axes/indices count from the end. */
function parseInts(option: string, text: string): number[] {
  return text.split(",").map((s) => {
    const n = Number(s.trim());
    if (s.trim() === "" || !Number.isInteger(n)) throw new CliError(`${option}: expected comma-separated integers, got "${text}"`);
    return n;
  });
}

/** --aggregate NAME:AXES… (e.g. `h:0`, `embeddings:1,2`) → { name: axes }. */
export function parseAggregate(values: readonly string[] | undefined): Record<string, number[]> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const colon = v.lastIndexOf(":");
    if (colon <= 0 || colon === v.length - 1) throw new CliError(`--aggregate: expected NAME:AXES (e.g. h:0 or emb:1,2), got "${v}"`);
    out[v.slice(0, colon)] = parseInts("--aggregate", v.slice(colon + 1));
  }
  return out;
}

/** --top-path-from NAME[:i,j] → where the top path starts. */
export function parseTopPathFrom(value: string | undefined): { from: string; index?: number[] } | undefined {
  if (value === undefined) return undefined;
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { from: value };
  if (colon === 0) throw new CliError(`--top-path-from: expected NAME or NAME:i,j, got "${value}"`);
  return { from: value.slice(0, colon), index: parseInts("--top-path-from", value.slice(colon + 1)) };
}
