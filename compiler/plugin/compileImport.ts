// What a bundler import of a model compiles to: `./mlp.ts?semiring=sumprod,maxprod&target=js`
// names the model file and, in its query, what `semic compile` would take as options. The module
// and its declarations are kept in the CLI's compile cache, keyed by the model's files (the model
// and everything it imports), the query and semic itself, so a rebuild with nothing changed skips
// the frontend and the compiler, and any edit to a file the model reads misses.

import { resolve } from "node:path";
import { DEFAULT_TOPK } from "../../ir/semirings/index.ts";
import { compileGraph, compileGraphWgsl } from "../compile.ts";
import { CliError, loadGraph, parseTopk, resolveSemirings, splitList } from "../cli/load.ts";
import { CompileCache, contentKey, modelFiles } from "../study/cache.ts";

/** The options an import query may carry, and what each means (listed in errors). */
const queryKeys = {
  semiring: "semirings, comma-separated (required), e.g. semiring=sumprod,maxprod",
  target: "js (default): the JS module; wgsl: the WebGPU module (WGSL embedded)",
  wrt: "tensors to differentiate with respect to, comma-separated",
  precision: "f64 (default, as `semic run`) or f32",
  topk: `k of the topk semiring (default ${DEFAULT_TOPK})`,
} as const;

export interface ImportQuery {
  readonly semirings: readonly string[];
  readonly target: "js" | "wgsl";
  readonly wrt: readonly string[];
  readonly precision: "f32" | "f64";
  readonly topk: number;
}

/** An import id split into the model file (absolute) and its raw query text. */
export function splitImportId(id: string): { file: string; query: string } | undefined {
  const at = id.indexOf("?");
  if (at < 0) return undefined;
  const query = id.slice(at + 1);
  return new URLSearchParams(query).has("semiring") ? { file: id.slice(0, at), query } : undefined;
}

const choice = <T extends string>(key: string, value: string | null, choices: readonly T[], fallback: T): T => {
  if (value === null) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new CliError(`${key}=${value}: expected one of ${choices.join(", ")}`);
};

/** The query of an import; `file` names the model in errors. */
export function parseImportQuery(file: string, query: string): ImportQuery {
  const params = new URLSearchParams(query);
  const fail = (why: string): never => {
    throw new CliError(`${file}?${query}: ${why}`);
  };
  for (const key of params.keys())
    if (!Object.hasOwn(queryKeys, key))
      fail(`unknown option "${key}"; an import query takes ${Object.entries(queryKeys).map(([k, v]) => `${k} (${v})`).join("; ")}`);
  const semirings = splitList(params.getAll("semiring"));
  if (semirings.length === 0) fail(`semiring= names no semiring (${queryKeys.semiring})`);
  try {
    return {
      semirings,
      target: choice("target", params.get("target"), ["js", "wgsl"], "js"),
      wrt: splitList(params.getAll("wrt")),
      precision: choice("precision", params.get("precision"), ["f32", "f64"], "f64"),
      topk: parseTopk(params.get("topk") ?? undefined),
    };
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}

export interface CompiledImport {
  /** The ES module the import resolves to. */
  readonly js: string;
  /** Its declarations (the generated `.d.ts` of `semic compile`). */
  readonly dts: string;
  /** The files whose contents decide the module (to watch). */
  readonly files: readonly string[];
  readonly cached: boolean;
}

/**
 * Compiles the model `file` for `query` unless the cache holds it. Model errors (SemicError,
 * CliError) are thrown as they are, with their location.
 */
export async function compileImport(file: string, query: ImportQuery, cache: CompileCache): Promise<CompiledImport> {
  const abs = resolve(file);
  const files = modelFiles(abs);
  const key = contentKey(files, { import: query });
  const js = cache.read(key, "mjs"), dts = cache.read(key, "d.mts");
  if (js !== undefined && dts !== undefined) return { js, dts, files, cached: true };

  const { graph, semirings: own } = await loadGraph(abs, { config: {}, expand: [] });
  const semirings = resolveSemirings(query.semirings, own, query.topk);
  const options = { semirings, wrt: query.wrt, precision: query.precision };
  const out = query.target === "wgsl" ? compileGraphWgsl(graph, options).wgsl : compileGraph(graph, options).js;
  // The module first: a reader that finds the declarations may take the module as present.
  cache.write(key, "mjs", out.js);
  cache.write(key, "d.mts", out.dts);
  return { js: out.js, dts: out.dts, files, cached: false };
}
