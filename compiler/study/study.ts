// A study's model, opened once per run: its inputs, and which config key each input dimension
// follows, so that a record's lengths become config values (one compile per distinct set).
//
// Models have static shapes from their config (`seq` in examples/bert.ts). Which key sets which
// input dimension is discovered by re-evaluating the model with one config key changed: a key
// whose default equals an input dimension is set to default + 1, and the input dimensions that
// follow it (become default + 1 too) are its dimensions. Only keys equal to some input dimension
// are tried, so this costs one or two extra evaluations, once: the result is cached with the
// base module. `--dim seq=ids:0` states it instead. Padding is no alternative: padded positions
// would add paths and change every path statistic.

import { basename } from "node:path";
import { opRules } from "../../ir/ops/index.ts";
import { CliError } from "../cli/load.ts";
import { CompileCache } from "./cache.ts";
import { ensureCompiled, loadStudyGraph, readShapeMeta, type Overrides, type ShapeMeta } from "./compileShape.ts";
import type { DimRule, StudyOptions } from "./options.ts";
import { RecordError, type DatasetRecord } from "./record.ts";

/** An input axis that several config keys follow (they had equal defaults). */
interface Ambiguity {
  readonly input: string;
  readonly axis: number;
  readonly keys: string[];
}

export interface ModelInfo {
  readonly base: ShapeMeta;
  readonly rules: DimRule[];
  readonly ambiguous: Ambiguity[];
}

const isLength = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1;

async function discoverDims(o: StudyOptions, base: ShapeMeta): Promise<Pick<ModelInfo, "rules" | "ambiguous">> {
  const dims = new Set(base.inputs.flatMap((t) => t.shape));
  const byAxis = new Map<string, DimRule[]>();
  for (const [key, value] of Object.entries(base.config)) {
    if (!isLength(value) || !dims.has(value)) continue;
    let probe;
    try {
      probe = await loadStudyGraph(o, { [key]: value + 1 });
    } catch {
      continue; // the model does not build with this key changed: not a length
    }
    const shapes = new Map(probe.graph.nodes.filter((n) => opRules[n.op].role === "input").map((n) => [String(n.attrs["name"]), n.type.shape]));
    for (const t of base.inputs) {
      t.shape.forEach((d, axis) => {
        if (d !== value || shapes.get(t.name)?.[axis] !== value + 1) return;
        const at = `${t.name}:${axis}`;
        byAxis.set(at, [...(byAxis.get(at) ?? []), { key, input: t.name, axis }]);
      });
    }
  }
  const rules: DimRule[] = [];
  const ambiguous: Ambiguity[] = [];
  for (const found of byAxis.values()) {
    if (found.length === 1) rules.push(found[0]!);
    else ambiguous.push({ input: found[0]!.input, axis: found[0]!.axis, keys: found.map((r) => r.key) });
  }
  return { rules, ambiguous };
}

function checkDims(rules: readonly DimRule[], base: ShapeMeta): void {
  for (const r of rules) {
    if (!Object.hasOwn(base.config, r.key))
      throw new CliError(`--dim ${r.key}=${r.input}:${r.axis}: the model has no config key "${r.key}" (keys: ${Object.keys(base.config).join(", ") || "none"})`);
    if (!isLength(base.config[r.key])) throw new CliError(`--dim ${r.key}=…: config "${r.key}" is ${JSON.stringify(base.config[r.key])}, not a length`);
    const t = base.inputs.find((i) => i.name === r.input);
    if (!t) throw new CliError(`--dim ${r.key}=${r.input}:${r.axis}: the model has no input "${r.input}" (inputs: ${base.inputs.map((i) => i.name).join(", ")})`);
    if (r.axis >= t.shape.length) throw new CliError(`--dim ${r.key}=${r.input}:${r.axis}: input ${r.input} has rank ${t.shape.length}`);
  }
}

function checkNames(o: StudyOptions, base: ShapeMeta): void {
  const asked = [...Object.keys(o.aggregate ?? {}), ...(o.topPath ? [o.topPath.from] : [])];
  for (const name of asked) {
    if (!base.names.includes(name))
      throw new CliError(`"${name}" is neither a wrt tensor nor a branch of the model (these are: ${base.names.join(", ")})`);
  }
  if ((o.branchViews ?? []).length > 0 && base.points.length === 0)
    throw new CliError(`--branch-view: model ${basename(o.model)} names no branches; mark a tensor's consumers with branch(x, "label")`);
}

/**
 * The model's inputs and dimension rules, from the cache or by compiling the base shape and
 * probing the config. Errors in the model, the semirings or the options are thrown (user errors).
 */
export async function openModel(o: StudyOptions): Promise<ModelInfo> {
  const cache = new CompileCache(o.cacheDir);
  const key = await ensureCompiled(o, {}, cache);
  const base = readShapeMeta(cache, key);
  checkNames(o, base);
  if (o.dims) {
    checkDims(o.dims, base);
    return { base, rules: [...o.dims], ambiguous: [] };
  }
  const cached = cache.read(key, "dims.json");
  if (cached !== undefined) return { base, ...(JSON.parse(cached) as Pick<ModelInfo, "rules" | "ambiguous">) };
  const found = await discoverDims(o, base);
  cache.write(key, "dims.json", JSON.stringify(found));
  return { base, ...found };
}

/** The shape of nested arrays, read along first elements (raggedness is found when binding). */
function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) {
    shape.push(v.length);
    if (v.length === 0) break;
  }
  return shape;
}

/** The config values a record's input lengths set (only those that differ from the model's). */
export function overridesOf(info: ModelInfo, record: DatasetRecord): Overrides {
  const out: Record<string, number> = {};
  const from: Record<string, string> = {};
  const rank = (input: string) => info.base.inputs.find((t) => t.name === input)?.shape.length;
  for (const r of info.rules) {
    const shape = shapeOf(record.inputs[r.input]);
    const d = shape[r.axis];
    if (d === undefined || shape.length !== rank(r.input)) continue; // missing input or wrong rank: reported when binding
    if (d < 1) throw new RecordError(record.line, record.id, `input ${r.input} has length 0 along axis ${r.axis}`);
    if (Object.hasOwn(out, r.key) && out[r.key] !== d)
      throw new RecordError(record.line, record.id, `${r.input} axis ${r.axis} has length ${d} but ${from[r.key]} has ${out[r.key]}: both set config ${r.key}`);
    out[r.key] = d;
    from[r.key] = `${r.input} axis ${r.axis}`;
  }
  for (const a of info.ambiguous) {
    const d = shapeOf(record.inputs[a.input])[a.axis];
    const t = info.base.inputs.find((i) => i.name === a.input)!;
    if (d !== undefined && d !== t.shape[a.axis])
      throw new RecordError(record.line, record.id, `${a.input} axis ${a.axis} has length ${d}, and config keys ${a.keys.join(" and ")} both follow it: say which with --dim ${a.keys[0]}=${a.input}:${a.axis}`);
  }
  for (const [k, v] of Object.entries(out)) if (info.base.config[k] === v) delete out[k];
  return out;
}

/** "seq=12 (from ids axis 0)" for messages. */
export const describeOverrides = (info: ModelInfo, overrides: Overrides): string =>
  Object.entries(overrides)
    .map(([k, v]) => {
      const r = info.rules.find((x) => x.key === k);
      return `${k}=${v}${r ? ` (from ${r.input} axis ${r.axis})` : ""}`;
    })
    .join(", ");
