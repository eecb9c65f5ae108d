// The frontend's entry: a DSL file → the model's graph, its config, and the semirings the file
// defines with defineSemiring. See lower.ts for what is evaluated at compile time.

import { GraphBuilder, SemicError, type Graph } from "../../ir/graph.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { applyConfig, type ConfigOverrides } from "./config.ts";
import { checkDiagnostics } from "./diagnostics.ts";
import { createEvaluator } from "./lower.ts";
import { openProject, type MemoryFiles } from "./project.ts";
import { describe, ModelVal, SemiringVal, TensorVal, toPlain, type Value } from "./values.ts";

export type { ConfigOverrides } from "./config.ts";
export type { MemoryFiles } from "./project.ts";

export interface LoadOptions {
  /** Config overrides (`--config key=value`); strings are coerced to the default's type. */
  readonly config?: ConfigOverrides;
  /** In-memory source files by path (tests); `file` is then one of them. */
  readonly fs?: MemoryFiles;
}

export interface LoadedModel {
  readonly graph: Graph;
  /** The config the graph was built with: defaults plus overrides. */
  readonly config: Record<string, unknown>;
  /** User semirings exported from the file (defineSemiring). */
  readonly semirings: Semiring[];
}

/** Evaluates a DSL file's top level and returns its exports. */
function evaluateFile(file: string, fs: MemoryFiles | undefined) {
  const dp = openProject(file, fs);
  checkDiagnostics(dp);
  const ev = createEvaluator(dp);
  const mod = ev.module(dp.entry);
  const exports = new Map<string, Value>([...mod.exports].map(([k, get]) => [k, get()]));
  const semirings = [...exports.values()].filter((v) => v instanceof SemiringVal).map((v) => v.semiring);
  return { dp, ev, exports, semirings };
}

/** Loads the model of a DSL file: its default export, or its single exported model(...). */
export function loadModel(file: string, opts: LoadOptions = {}): LoadedModel {
  const { ev, exports, semirings } = evaluateFile(file, opts.fs);
  const def = exports.get("default");
  let m: ModelVal;
  if (def instanceof ModelVal) m = def;
  else {
    const models = [...exports].filter(([, v]) => v instanceof ModelVal);
    if (models.length !== 1) {
      const why = models.length === 0 ? "exports no model" : `exports several models (${models.map(([k]) => k).join(", ")}) and no default`;
      throw new SemicError("E_NO_MODEL", `${file} ${why}: write \`export default model("name", () => …)\``);
    }
    m = models[0]![1] as ModelVal;
  }

  const loc = ev.loc(m.at);
  const config = applyConfig(m.config, opts.config ?? {}, loc);
  const builder = new GraphBuilder(m.name);
  ev.builder = builder;
  let out: Value;
  try {
    out = ev.call(m.body, m.config ? [config] : [], m.at);
  } finally {
    ev.builder = undefined;
  }
  if (!(out instanceof TensorVal))
    throw new SemicError("E_OUTPUT", `the body of model "${m.name}" must return a tensor, got ${describe(out)}`, loc);
  return { graph: builder.build(out.id), config: toPlain(config) as Record<string, unknown>, semirings };
}

/** The semirings a DSL file exports (defineSemiring), e.g. a file of custom semirings. */
export function loadSemirings(file: string, opts: Pick<LoadOptions, "fs"> = {}): Semiring[] {
  return evaluateFile(file, opts.fs).semirings;
}
