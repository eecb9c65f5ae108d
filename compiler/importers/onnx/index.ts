// ONNX → semic graph: graph inputs become inputs (int64 ids as i32), float initializers params
// under their own names, shape arithmetic is evaluated at import time, and every other node is
// lowered through the op table. The chosen output element is the scalar the semirings explain.

import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { SemicError, type Graph } from "../../../ir/graph.ts";
import { showType } from "../../../ir/types.ts";
import { isFoldable, Lowering, type Val } from "./context.ts";
import type { ImportOptions } from "../options.ts";
import { fuse } from "./fuse.ts";
import { OnnxFormatError, readOnnx, type OnnxModel, type OnnxNode } from "./proto.ts";
import { labelFor, resolve } from "./select.ts";
import type { OnnxOp } from "./op.ts";
import { onnxOps } from "./table.ts";

export interface ImportedModel {
  readonly graph: Graph;
  /** The initializers the graph uses as params, by name. */
  readonly params: Record<string, Float32Array>;
  /** Each integer input's valid id range [0, n): the extent of the table it indexes. */
  readonly idRanges: Record<string, number>;
}

export function importOnnx(file: string, opts: ImportOptions): ImportedModel {
  let model: OnnxModel;
  try {
    model = readOnnx(readFileSync(file), file);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new SemicError("E_ONNX", e.message);
    throw e;
  }
  return lowerModel(model, opts);
}

const graphName = (file: string) => basename(file, extname(file)).replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1") || "model";

/** Lowers a graph through an op table: ONNX's, or another format's graph read into the same form. */
export function lowerModel(model: OnnxModel, opts: ImportOptions, ops: Readonly<Record<string, OnnxOp>> = onnxOps): ImportedModel {
  const ctx = new Lowering(model, graphName(model.file));
  const nodes = fuse(model, opts.fuse);

  for (const [name, t] of model.initializers) ctx.set(name, t.kind === "float" ? { konst: t, param: name } : { konst: t });
  for (const inp of model.inputs) ctx.set(inp.name, { node: addInput(ctx, inp) });

  const branchHits = resolve("--branch", model.file, opts.branches, nodes.map((n) => n.name));
  // A TF node's first output is named like the node itself: each name is one candidate.
  const valueNames = [...new Set([...model.inputs.map((i) => i.name), ...nodes.flatMap((n) => [n.name, ...n.outputs])])];
  const nameHits = resolve("--name", model.file, opts.names, valueNames);
  const branchesAt = new Map<string, { label: string; slot?: number }[]>();
  for (const [sel, hits] of branchHits)
    hits.forEach((h, k) => branchesAt.set(h, [...(branchesAt.get(h) ?? []), { label: labelFor(sel.label, k, hits.length), ...(sel.slot !== undefined ? { slot: sel.slot } : {}) }]));
  const namesAt = new Map<string, string>();
  for (const [sel, hits] of nameHits) hits.forEach((h, k) => namesAt.set(h, labelFor(sel.label, k, hits.length)));

  for (const inp of model.inputs) nameValue(ctx, inp.name, namesAt.get(inp.name));
  const lookups = new Map<string, number>();
  for (const n of nodes) {
    ctx.current = n;
    lowerNode(ctx, ops, n, branchesAt.get(n.name) ?? []);
    const named = [n.name, ...n.outputs].some((v) => namesAt.has(v));
    nameValue(ctx, n.outputs[0], namesAt.get(n.name) ?? (named ? undefined : lookupName(ctx, n, lookups)));
    for (const out of n.outputs) if (out !== n.name) nameValue(ctx, out, namesAt.get(out));
  }
  ctx.current = undefined;

  const output = pickOutput(ctx, model, opts);
  const graph = ctx.b.build(output);
  const params: Record<string, Float32Array> = {};
  for (const name of ctx.params.keys()) params[name] = Float32Array.from(model.initializers.get(name)!.data);
  return { graph, params, idRanges: idRanges(graph) };
}

function addInput(ctx: Lowering, inp: OnnxModel["inputs"][number]): number {
  const where = `${ctx.model.file}: input "${inp.name}"`;
  if (!inp.shape) throw new SemicError("E_ONNX", `${where} has no shape`);
  const symbolic = inp.shape.filter((d) => typeof d === "string");
  if (symbolic.length > 0)
    throw new SemicError("E_ONNX", `${where} has symbolic dimensions ${symbolic.join(", ")}: semic compiles static shapes; export without dynamic_axes`);
  if (inp.kind === "other" || inp.kind === "bool") throw new SemicError("E_ONNX", `${where} is ${inp.elemType}; semic reads float and integer inputs`);
  const shape = inp.shape as number[];
  return ctx.add("input", [], inp.kind === "int" ? { name: inp.name, shape, dtype: "i32" } : { name: inp.name, shape });
}

function nameValue(ctx: Lowering, value: string | undefined, label: string | undefined): void {
  if (!value || !label || !ctx.has(value)) return;
  const v = ctx.get(value);
  if (!("node" in v)) throw new SemicError("E_CLI", `--name ${label}: "${value}" is known at import time (a constant or an initializer), not a value the model computes`);
  ctx.set(value, { node: ctx.add("name", [v.node], { label }) });
}

/**
 * An embedding lookup of a model input's ids is named `<input>.embedded` (`.k` from the second on),
 * so that ids models have a tensor to differentiate with respect to by default.
 */
function lookupName(ctx: Lowering, n: OnnxNode, seen: Map<string, number>): string | undefined {
  const out = n.outputs[0] ? ctx.get(n.outputs[0]) : undefined;
  if (n.opType !== "Gather" || !out || !("node" in out)) return undefined;
  const node = ctx.b.nodes[out.node]!;
  const ids = node.op === "gather" ? ctx.b.nodes[node.inputs[1]!]! : undefined;
  if (!ids || ids.op !== "input") return undefined;
  const input = String(ids.attrs["name"]);
  const k = seen.get(input) ?? 0;
  seen.set(input, k + 1);
  return k === 0 ? `${input}.embedded` : `${input}.embedded.${k}`;
}

function lowerNode(ctx: Lowering, ops: Readonly<Record<string, OnnxOp>>, n: OnnxNode, branches: readonly { label: string; slot?: number }[]): void {
  const op = (n.domain === "" || n.domain === "ai.onnx") && Object.hasOwn(ops, n.opType) ? ops[n.opType] : undefined;
  if (!op) ctx.fail(`op ${n.domain ? `${n.domain}.` : ""}${n.opType} is not supported (semic imports: ${Object.keys(ops).sort().join(", ")})`, "E_ONNX_UNSUPPORTED");
  for (const key of n.attrs.keys()) if (!op.attrs.includes(key)) ctx.fail(`attribute ${key} is not supported`, "E_ONNX_UNSUPPORTED");

  const restore: [string, Val][] = [];
  for (const br of branches) {
    const slots = n.inputs.map((name, i) => ({ name, i })).filter(({ name }) => name && isComputed(ctx, ctx.get(name)));
    const chosen = br.slot !== undefined ? n.inputs[br.slot] : slots.length === 1 ? slots[0]!.name : undefined;
    if (!chosen) {
      const list = slots.map(({ name, i }) => `${i} (${name})`).join(", ");
      ctx.fail(`--branch ${br.label}: say which input is the branch with :INPUT after the pattern; inputs computed by the model: ${list || "none"}`, "E_CLI");
    }
    const v = ctx.get(chosen);
    if (!("node" in v)) ctx.fail(`--branch ${br.label}: input "${chosen}" is known at import time, not a value the model computes`, "E_CLI");
    restore.push([chosen, v]);
    ctx.set(chosen, { node: ctx.add("branch", [v.node], { label: br.label }) });
  }

  const ins = n.inputs.map((name) => (name ? ctx.get(name) : undefined));
  const known = ins.every((v) => v === undefined || isFoldable(v));
  let outs: readonly Val[];
  if (op.fold && known && ins.length > 0) outs = op.fold(ins.map((v) => (v && "konst" in v ? v.konst : undefined)), ctx).map((konst) => ({ konst }));
  else if (op.lower) outs = op.lower(ctx);
  else {
    const computed = n.inputs.filter((name) => name && !isFoldable(ctx.get(name)));
    return ctx.fail(`needs inputs known at import time (shape arithmetic); ${computed.map((s) => `"${s}"`).join(", ")} is computed by the model`);
  }
  // Undo the branch wrappers last-first: two branches on one input must leave the plain value.
  for (const [name, v] of restore.reverse()) ctx.set(name, v);
  outs.forEach((v, i) => {
    const out = n.outputs[i];
    if (out) ctx.set(out, v);
  });
}

const isComputed = (ctx: Lowering, v: Val): boolean => "node" in v && ctx.dependsOnInput(v.node);

function pickOutput(ctx: Lowering, model: OnnxModel, opts: ImportOptions): number {
  const names = model.outputs.map((o) => o.name);
  const name = opts.output ?? names[0];
  if (!name || (opts.output !== undefined && !names.includes(opts.output)))
    throw new SemicError("E_CLI", `--output: ${model.file} has no output "${opts.output}" (outputs: ${names.join(", ")})`);
  const v = ctx.get(name);
  if (!("node" in v)) throw new SemicError("E_ONNX", `${model.file}: output "${name}" does not depend on the inputs or parameters`);
  const t = ctx.b.nodes[v.node]!.type;
  if (opts.pick === undefined) {
    if (t.shape.length === 0) return v.node;
    const example = t.shape.map(() => 0).join(",");
    throw new SemicError("E_CLI", `output "${name}" is ${showType(t)}: choose the scalar to explain with --pick (e.g. --pick ${example})`);
  }
  if (opts.pick.length !== t.shape.length || opts.pick.some((i, a) => i < -t.shape[a]! || i >= t.shape[a]!))
    throw new SemicError("E_CLI", `--pick ${opts.pick.join(",")}: not an element of output "${name}" ${showType(t)}`);
  return ctx.add("pick", [v.node], { index: [...opts.pick] });
}

function idRanges(g: Graph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of g.nodes) {
    if (n.op !== "gather") continue;
    const ids = g.nodes[n.inputs[1]!]!;
    if (ids.op !== "input") continue;
    const name = String(ids.attrs["name"]);
    const extent = g.nodes[n.inputs[0]!]!.type.shape[0]!;
    out[name] = Math.min(out[name] ?? Infinity, extent);
  }
  return out;
}
