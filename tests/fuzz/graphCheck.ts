// One differential check of a graph: compile it once for every semiring, run the module, and
// compare the forward value with the interpreter, every wrt and branch adjoint with the brute-force
// path oracle, and every returned top path with the scalar gradient graph (a real path whose
// weights give its value). Throws an Error naming the first disagreement; plain TypeScript, so
// both vitest and `npm run fuzz` use it.

import { importModule, type GeneratedResult, type GeneratedStep } from "../../compiler/compile.ts";
import { buildBackward, defaultWrt } from "../../compiler/backward.ts";
import { renderJsModule } from "../../compiler/backends/js/module.ts";
import { tensorName } from "../../compiler/backends/js/edges.ts";
import { namedNodes, ruleCtx, type Graph } from "../../ir/graph.ts";
import type { Feeds } from "../../ir/interpret.ts";
import { opRules } from "../../ir/ops/index.ts";
import { semirings, topk } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { ravel, sizeOf, unravel } from "../../ir/types.ts";
import { splitFeeds } from "../oracle/check.ts";
import { bruteForce, countPaths } from "../oracle/paths.ts";
import { scalarize, type ScalarGraph } from "../oracle/scalarize.ts";

export const TOPK = 3;
/** Every semiring, in one module per graph (one forward pass shared by all backward passes). */
export const allSemirings: readonly Semiring[] = [...Object.values(semirings), topk(TOPK)];

/** Brute force enumerates paths one by one: above this many per graph, the graph is skipped. */
const MAX_PATHS = 20_000;

export type Outcome = "checked" | "no-gradient-path" | "non-finite" | "too-many-paths";

/** A disagreement between generated code and an oracle. */
export class Mismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Mismatch";
  }
}

function close(a: number, e: number, rtol: number, atol: number): boolean {
  if (!Number.isFinite(e) || !Number.isFinite(a)) return a === e || (Number.isNaN(a) && Number.isNaN(e));
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

export type Precision = "f32" | "f64";

/**
 * How far generated values may be from the float64 oracle. f32 modules store every value and
 * adjoint in single precision and use polynomial exp and log in their WebAssembly kernels.
 */
const tolerances = {
  f64: { rtol: 1e-7, atol: 1e-9, weight: 1e-12 },
  // Weights that cancel (layerNorm's near 0) keep only an absolute accuracy in f32.
  f32: { rtol: 2e-3, atol: 1e-3, weight: 1e-4 },
} as const;

let tol: (typeof tolerances)[Precision] = tolerances.f64;

function expectClose(a: number | undefined, e: number, what: string): void {
  if (a === undefined || !close(a, e, tol.rtol, tol.atol)) throw new Mismatch(`${what}: generated ${a}, oracle ${e}`);
}

/** Differentiable leaves and named values that reach the output (defaultWrt plus params). */
function candidateWrt(g: Graph): string[] {
  return defaultWrt(g).concat(g.nodes.filter((n) => opRules[n.op].role === "param").map((n) => String(n.attrs["name"])));
}

/** The module for all semirings (JS with its WebAssembly kernels). */
function compileModule(g: Graph, wrt: readonly string[], precision: Precision): string {
  return renderJsModule(buildBackward(g, wrt), allSemirings, { precision }).js;
}

/** Whether a graph has an oracle for its adjoints: finite values and weights, few enough paths. */
export function triage(g: Graph, feeds: Feeds, sg: ScalarGraph = scalarize(g, feeds)): Exclude<Outcome, "checked"> | undefined {
  // A random constant may leave log's domain: the module must then agree on the non-finite output,
  // but adjoints through non-finite weights have no oracle (F4: topk reads ±∞ as "no path").
  const finite = Number.isFinite(sg.trace.values[g.output]![0]!) && sg.out.every((elems) => elems.every((edges) => edges.every((e) => Number.isFinite(e.weight))));
  if (!finite) return "non-finite";
  const paths = countPaths(sg, g.output);
  if (paths.total > MAX_PATHS) return "too-many-paths";
  const named = namedNodes(g);
  if (!candidateWrt(g).some((name) => paths.perNode[named.get(name)!.id]! > 0)) return "no-gradient-path";
  return undefined;
}

export async function checkGraph(g: Graph, given: Feeds, precision: Precision = "f64"): Promise<Outcome> {
  tol = tolerances[precision];
  // An f32 module stores its inputs and params in single precision: the oracle reads the same values.
  const feeds = precision === "f64" ? given : Object.fromEntries(Object.entries(given).map(([k, v]) => [k, Float64Array.from(v, Math.fround)]));
  const sg = scalarize(g, feeds);
  const want = sg.trace.values[g.output]![0]!;
  const skip = triage(g, feeds, sg);
  // Values near f32's range overflow there and not in the oracle: no comparison at all.
  if (precision === "f32" && sg.trace.values.some((v) => v.some((x) => Math.abs(x) > 1e30))) return "non-finite";
  if (skip === "too-many-paths") return skip;
  const paths = countPaths(sg, g.output);
  const finite = skip !== "non-finite";

  const named = namedNodes(g);
  const wrt = candidateWrt(g);
  let js;
  try {
    js = compileModule(g, wrt, precision);
  } catch (e) {
    if (!/no gradient path/.test(String(e))) throw e;
    // Keep only tensors with a scalar path; if none has one, there is nothing to differentiate.
    const reach = wrt.filter((name) => paths.perNode[named.get(name)!.id]! > 0);
    if (reach.length === 0) return "no-gradient-path";
    js = compileModule(g, reach, precision);
  }
  const mod = await importModule(js);
  const { params, inputs } = splitFeeds(g, feeds);
  const model = mod.createModel(params);
  const run = model.run(inputs, { topPath: false });
  expectClose(run.output, want, "forward output");
  if (!finite) return "non-finite";

  const wrtNames = Object.keys(run.results["sumprod"]!.wrt);
  const downstream = new Set(wrtNames.map((name) => named.get(name)!.id));
  for (const n of g.nodes) {
    const slots = new Set(opRules[n.op].edges(ruleCtx(g, n)).map((e) => e.input));
    if (n.inputs.some((x, slot) => downstream.has(x) && slots.has(slot))) downstream.add(n.id);
  }
  const branchIds = new Map(g.nodes.filter((n) => n.op === "branch").map((n) => [String(n.attrs["label"]), n.id]));
  for (const sr of allSemirings) {
    const res = run.results[sr.name]!;
    const check = (what: string, id: number, got: GeneratedResult["wrt"][string] | undefined) => {
      if (!got) throw new Mismatch(`${sr.name}: no result for ${what}`);
      const oracle = bruteForce(g, feeds, sr, id, sg);
      sr.lanes.forEach((lane, l) => {
        const lanes = got.lanes[lane]!;
        oracle.forEach((v, e) => expectClose(lanes[e], v[l]!, `${sr.name} ${what}[${e}] lane ${lane}`));
      });
    };
    for (const name of wrtNames) check(`∂/∂${name}`, named.get(name)!.id, res.wrt[name]);
    for (const [label, id] of branchIds) {
      // The module computes adjoints between the wrt tensors and the output only.
      if (res.branches[label] || (paths.perNode[id]! > 0 && downstream.has(id))) check(`branch ${label}`, id, res.branches[label]);
    }
    if (sr.traits.path) for (const name of wrtNames) checkTopPaths(g, sg, model, inputs, sr, name, named.get(name)!.id);
  }
  return "checked";
}

/** The generated module's top paths from a tensor's best element must be real, and worth their value. */
function checkTopPaths(
  g: Graph,
  sg: ScalarGraph,
  model: ReturnType<Awaited<ReturnType<typeof importModule>>["createModel"]>,
  inputs: Feeds,
  sr: Semiring,
  name: string,
  id: number,
): void {
  const res = model.run(inputs, { semirings: [sr.name], topPath: { from: name } }).results[sr.name]!;
  const lanes = res.wrt[name]!.lanes;
  const paths = res.topPaths ?? (res.topPath && res.topPath.length > 0 ? [{ value: res.topPathValue!, steps: res.topPath }] : []);
  const firstLane = lanes[sr.lanes[0]!]!;
  const best = Array.from(firstLane).reduce((p, v, i) => (v > firstLane[p]! ? i : p), 0);
  if (paths.length === 0) {
    if (Number.isFinite(firstLane[best]!)) throw new Mismatch(`${sr.name} top path from ${name}: none returned, but ${name}[${best}] = ${firstLane[best]}`);
    return;
  }
  paths.forEach(({ value, steps }, r) => {
    const what = `${sr.name} top path ${r + 1} from ${name}`;
    const start = steps[0];
    if (!start || start.tensor !== name) throw new Mismatch(`${what}: starts at ${start?.tensor}, not ${name}`);
    // The r-th path from the start element is worth the r-th lane there (hi1, hi2… for topk).
    const p = ravel(start.index, g.nodes[id]!.type.shape);
    const lane = sr.name === "topk" ? `hi${r + 1}` : sr.lanes[0]!;
    expectClose(value, lanes[lane]![p]!, `${what}: value vs lane ${lane}`);
    const product = followPath(g, sg, steps, id, what);
    expectClose(sr.name === "maxabs" ? Math.log(Math.abs(product)) : product, value, `${what}: product of its weights`);
  });
}

/** Walks the steps through the scalar gradient graph; returns the product of their weights. */
function followPath(g: Graph, sg: ScalarGraph, steps: readonly GeneratedStep[], id: number, what: string): number {
  let node = id;
  let elem = ravel(steps[0]!.index, g.nodes[id]!.type.shape);
  let product = 1;
  for (const [i, step] of steps.entries()) {
    if (i === 0) continue;
    const edge = sg.out[node]![elem]!.find(
      (e) => tensorName(g.nodes[e.node]!) === step.tensor && e.to === ravel(step.index, g.nodes[e.node]!.type.shape) && close(e.weight, step.weight, tol.weight, tol.weight),
    );
    if (!edge) {
      const at = `${tensorName(g.nodes[node]!)}[${unravel(elem, g.nodes[node]!.type.shape).join(",")}]`;
      throw new Mismatch(`${what}: step ${i} (${step.op} ${step.tensor}[${step.index.join(",")}] weight ${step.weight}) is no edge out of ${at}`);
    }
    node = edge.node;
    elem = edge.to;
    product *= edge.weight;
  }
  if (node !== g.output) throw new Mismatch(`${what}: ends at ${tensorName(g.nodes[node]!)}, not at the output`);
  if (sizeOf(g.nodes[node]!.type.shape) !== 1) throw new Mismatch(`${what}: output is not a scalar`);
  return product;
}
