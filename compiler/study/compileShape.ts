// One compile per distinct input-shape set: the model re-evaluated with the config values the
// record's lengths set, compiled for the study's semirings, and kept in the compile cache with
// what a runner needs to check records against it (expected tensors, vocabulary sizes).

import type { Graph } from "../../ir/graph.ts";
import { opRules } from "../../ir/ops/index.ts";
import { DEFAULT_TOPK } from "../../ir/semirings/index.ts";
import { expandComposites } from "../../ir/passes/expand.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import type { ExpectedTensor } from "../../runtime/weights.ts";
import { buildBackward, defaultWrt } from "../backward.ts";
import { renderJsModule } from "../backends/js/module.ts";
import { isIrFile, loadGraph, loadSemiringFiles, resolveSemirings } from "../cli/load.ts";
import { CompileCache, contentKey, modelFiles } from "./cache.ts";
import type { StudyOptions } from "./options.ts";
import { branchPoints, type BranchPoint } from "./views.ts";

/** An i32 input read by gather: every id must lie in [0, vocab). */
export interface VocabCheck {
  readonly input: string;
  readonly vocab: number;
  readonly table: string;
}

/** What is stored beside each cached module. */
export interface ShapeMeta {
  readonly params: ExpectedTensor[];
  readonly inputs: ExpectedTensor[];
  readonly vocab: VocabCheck[];
  /** wrt tensors and branch labels (what --aggregate may name). */
  readonly names: string[];
  /** The model's effective config (DSL models). */
  readonly config: Record<string, unknown>;
  /** Tensors with branch()-named consumers, at this shape (what --branch-view reads). */
  readonly points: BranchPoint[];
}

export type Overrides = Readonly<Record<string, number>>;

function expectedTensors(graph: Graph, kind: "param" | "input"): ExpectedTensor[] {
  return graph.nodes
    .filter((n) => opRules[n.op].role === kind)
    .map((n) => ({ name: String(n.attrs["name"]), shape: [...n.type.shape], dtype: n.type.dtype === "i32" ? "i32" : "f32", kind }));
}

const nameOf = (graph: Graph, id: number): string => {
  const n = graph.nodes[id]!;
  return typeof n.attrs["name"] === "string" ? n.attrs["name"] : `%${id}`;
};

/** Inputs that gather reads directly (or through reshapes), with the table's row count. */
function vocabChecks(graph: Graph): VocabCheck[] {
  const out: VocabCheck[] = [];
  for (const n of graph.nodes) {
    if (n.op !== "gather") continue;
    let ids = graph.nodes[n.inputs[1]!]!;
    while (ids.op === "reshape") ids = graph.nodes[ids.inputs[0]!]!;
    if (opRules[ids.op].role !== "input") continue;
    out.push({ input: String(ids.attrs["name"]), vocab: graph.nodes[n.inputs[0]!]!.type.shape[0]!, table: nameOf(graph, n.inputs[0]!) });
  }
  return out;
}

/** The graph of the model under the study's config plus `overrides` (DSL models) and its effective config. */
export async function loadStudyGraph(o: StudyOptions, overrides: Overrides): Promise<{ graph: Graph; config: Record<string, unknown>; own: readonly Semiring[] }> {
  const config = { ...o.config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, String(v)])) };
  if (isIrFile(o.model)) {
    const { graph } = await loadGraph(o.model, { config, expand: o.expand ?? [] });
    return { graph, config: {}, own: [] };
  }
  const { loadModel } = await import("../frontend/index.ts");
  const loaded = loadModel(o.model, { config });
  const graph = o.expand && o.expand.length > 0 ? expandComposites(loaded.graph, o.expand) : loaded.graph;
  return { graph, config: loaded.config, own: loaded.semirings };
}

/** Key parts of the study options that decide the generated code (not the records, params or cache). */
function codeOptions(o: StudyOptions) {
  return {
    semirings: o.semirings,
    topk: o.topk ?? DEFAULT_TOPK,
    wrt: o.wrt ?? [],
    precision: o.precision ?? "f64",
    expand: o.expand ?? [],
    config: o.config ?? {},
    threads: o.threads ?? false,
    target: "js",
  };
}

/** Files whose contents decide the code: the model, what it imports, and --semirings-from files. */
const keyFiles = (o: StudyOptions) => [...modelFiles(o.model), ...(o.semiringsFrom ?? []).flatMap((f) => modelFiles(f))];

/** The cache key of the module for `overrides` (sorted, so the same lengths give the same key). */
export function shapeKey(o: StudyOptions, overrides: Overrides): string {
  const sorted = Object.fromEntries(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : 1)));
  return contentKey(keyFiles(o), { ...codeOptions(o), overrides: sorted });
}

/**
 * Compiles the module for `overrides` into the cache unless it is there; returns its key. A
 * model, semiring or option error is thrown as it is (SemicError, CliError…).
 */
export async function ensureCompiled(o: StudyOptions, overrides: Overrides, cache = new CompileCache(o.cacheDir)): Promise<string> {
  const key = shapeKey(o, overrides);
  if (cache.read(key, "json") !== undefined) return key;
  const { graph, config, own } = await loadStudyGraph(o, overrides);
  const user = [...own, ...(await loadSemiringFiles(o.semiringsFrom ?? []))];
  const semirings = resolveSemirings(o.semirings, user, o.topk ?? DEFAULT_TOPK);
  const plan = buildBackward(graph, o.wrt && o.wrt.length > 0 ? o.wrt : defaultWrt(graph));
  const { js } = renderJsModule(plan, semirings, { precision: o.precision ?? "f64", threads: o.threads ?? false });
  const meta: ShapeMeta = {
    params: expectedTensors(graph, "param"),
    inputs: expectedTensors(graph, "input"),
    vocab: vocabChecks(graph),
    names: [...plan.wrt.keys(), ...plan.branches.keys()],
    config,
    points: branchPoints(graph),
  };
  // The module first: a reader that finds the meta entry may import the module.
  cache.write(key, "mjs", js);
  cache.write(key, "json", JSON.stringify(meta));
  return key;
}

export function readShapeMeta(cache: CompileCache, key: string): ShapeMeta {
  const text = cache.read(key, "json");
  if (text === undefined) throw new Error(`compile cache entry ${key} vanished from ${cache.dir}`);
  return JSON.parse(text) as ShapeMeta;
}
