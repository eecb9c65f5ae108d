// Per-token readings of a branch point (a tensor whose consumers are named with branch()):
// which consumer carries each token's flow. Tokens are every index but the last axis; the last
// axis holds a token's hidden units.
//
//   sum         semic's own reading: the semiring's ⊕ over the token's units of each branch
//               (lanes folded, then read out; the gradient per token for sumprod).
//   oplus       the paper's default (PAPER.md §1): the unit with the largest value wins; its
//               value goes to the branch that produced it, 0 to the others.
//   bucket_sum  the paper's alternative: every unit's value goes to the bucket of its branch.
//
// The paper's library keeps a pointer to the consumer that produced each unit's value. In
// semic's element semantics that consumer is the branch whose own value at the element is the
// best (⊕ of the branches is the unit's value when ⊕ selects); ties go to the first consumer in
// program order. So oplus and bucket_sum exist only for semirings whose ⊕ selects an operand
// (idempotent ⊕ with one readout per element: maxprod, maxabs).

import type { Graph } from "../../ir/graph.ts";
import * as S from "../../ir/scalar.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { toNested, type Nested } from "../../runtime/weights.ts";
import { CliError, splitList } from "../cli/load.ts";

export const branchViewNames = ["oplus", "bucket_sum", "sum"] as const;
export type BranchViewName = (typeof branchViewNames)[number];

/** A tensor with named consumers: their labels in program order and the tensor's shape. */
export interface BranchPoint {
  readonly source: number;
  readonly labels: readonly string[];
  readonly shape: readonly number[];
}

/** Per-token values of one branch: `shape` is the branch's shape without its last axis. */
export interface TokenValues {
  readonly shape: number[];
  readonly value: Float64Array;
}

export type BranchViews = Partial<Record<BranchViewName, Record<string, TokenValues>>>;

/** A branch's result: per-element readouts and, from a generated module (not from a results file), its lanes. */
export interface BranchTensor {
  readonly value: ArrayLike<number>;
  readonly lanes?: Record<string, ArrayLike<number>>;
}
export interface BranchResults {
  readonly branches: Record<string, BranchTensor>;
}

/** `--branch-view oplus,bucket_sum,sum` → the views, in the order given; unknown names are an error. */
export function parseBranchViews(values: readonly string[] | undefined): BranchViewName[] {
  const out: BranchViewName[] = [];
  for (const v of splitList(values)) {
    if (!(branchViewNames as readonly string[]).includes(v)) {
      throw new CliError(`--branch-view: unknown view "${v}" (valid: ${branchViewNames.join(", ")})`);
    }
    if (!out.includes(v as BranchViewName)) out.push(v as BranchViewName);
  }
  return out;
}

/** The graph's branch points: branch() nodes grouped by the tensor they read, in program order. */
export function branchPoints(graph: Graph): BranchPoint[] {
  const bySource = new Map<number, { labels: string[]; shape: readonly number[] }>();
  for (const n of graph.nodes) {
    if (n.op !== "branch") continue;
    const source = n.inputs[0]!;
    const point = bySource.get(source) ?? { labels: [], shape: n.type.shape };
    point.labels.push(String(n.attrs["label"]));
    bySource.set(source, point);
  }
  return [...bySource].map(([source, p]) => ({ source, ...p }));
}

/** Whether oplus and bucket_sum are defined for a semiring (its ⊕ picks one branch per element). */
export const selectsBranch = (sr: Semiring): boolean => sr.traits.plus.kind === "idempotent" && sr.readout(sr.zero.map(S.c)).length === 1;

/** The views that exist for `sr` among those asked for. */
export const viewsFor = (sr: Semiring, views: readonly BranchViewName[]): BranchViewName[] =>
  views.filter((v) => v === "sum" || selectsBranch(sr));

const tokenShape = (shape: readonly number[]) => shape.slice(0, -1);
const unitsOf = (shape: readonly number[]) => shape[shape.length - 1] ?? 1;

/** ⊕ of lane tuples and the readout, evaluated from the semiring's own scalar expressions. */
function semiringFold(sr: Semiring, lanes: number) {
  const names = (p: string) => Array.from({ length: lanes }, (_, i) => `${p}${i}`);
  const plus = sr.plus(names("a").map(S.v).concat(sr.lanes.slice(lanes).map(() => S.c(0))), names("b").map(S.v).concat(sr.lanes.slice(lanes).map(() => S.c(0)))).slice(0, lanes);
  const readout = lanes === sr.lanes.length ? sr.readout(names("a").map(S.v)) : [S.v("a0")];
  const env = (vars: Record<string, number>): S.SxEnv => ({
    vars,
    load: () => {
      throw new Error(`semiring ${sr.name}: ⊕ reads memory`);
    },
  });
  const bind = (p: string, xs: readonly number[]) => Object.fromEntries(xs.map((x, i) => [`${p}${i}`, x]));
  return {
    zero: sr.zero.slice(0, lanes),
    plus: (a: readonly number[], b: readonly number[]) => plus.map((e) => S.evaluate(e, env({ ...bind("a", a), ...bind("b", b) }))),
    readout: (a: readonly number[]) => readout.map((e) => S.evaluate(e, env(bind("a", a)))),
  };
}

function varsOf(x: S.Sx, out = new Set<string>()): Set<string> {
  switch (x.k) {
    case "var": out.add(x.name); break;
    case "load": x.index.forEach((i) => varsOf(i, out)); break;
    case "un": varsOf(x.x, out); break;
    case "bin": varsOf(x.a, out); varsOf(x.b, out); break;
    case "select": varsOf(x.c, out); varsOf(x.a, out); varsOf(x.b, out); break;
    case "const": break;
  }
  return out;
}

/**
 * Whether ⊕ can be taken on readouts alone: the readout is lane 0 and lane 0 of a ⊕ b depends on
 * lane 0 of a and b only (sumprod, maxprod, maxabs, count, logsum; not entropy, whose H mixes lanes).
 */
export function plusOnReadout(sr: Semiring): boolean {
  const a = sr.lanes.map((_, i) => S.v(`a${i}`)), b = sr.lanes.map((_, i) => S.v(`b${i}`));
  const r = sr.readout(a);
  if (r.length !== 1 || r[0]!.k !== "var" || r[0]!.name !== "a0") return false;
  return [...varsOf(sr.plus(a, b)[0]!)].every((v) => v === "a0" || v === "b0");
}

/** semic's ⊕ over each token's units (the last axis) of lanes, read out (k values per token for a k-valued readout). */
export function oplusPerToken(sr: Semiring, lanes: Record<string, ArrayLike<number>>, shape: readonly number[]): TokenValues {
  return foldUnits(semiringFold(sr, sr.lanes.length), sr.lanes.map((l) => {
    const data = lanes[l];
    if (!data) throw new Error(`semiring ${sr.name}: branch result has no lane ${l}`);
    return data;
  }), shape);
}

function foldUnits(fold: ReturnType<typeof semiringFold>, laneData: ArrayLike<number>[], shape: readonly number[]): TokenValues {
  const units = unitsOf(shape);
  const tokens = laneData[0]!.length / units;
  const out: number[] = [];
  let k = 1;
  for (let t = 0; t < tokens; t++) {
    let acc: readonly number[] = fold.zero;
    for (let u = 0; u < units; u++) acc = fold.plus(acc, laneData.map((d) => d[t * units + u]!));
    const r = fold.readout(acc);
    k = r.length;
    out.push(...r);
  }
  return { shape: k === 1 ? tokenShape(shape) : [...tokenShape(shape), k], value: Float64Array.from(out) };
}

/** semic's ⊕ per token of one branch: from its lanes, or from its readouts where ⊕ allows; undefined when neither is possible. */
function sumView(sr: Semiring, t: BranchTensor, shape: readonly number[]): TokenValues | undefined {
  if (t.lanes) return oplusPerToken(sr, t.lanes, shape);
  return plusOnReadout(sr) ? foldUnits(semiringFold(sr, 1), [t.value], shape) : undefined;
}

function branchOf(result: BranchResults, label: string): BranchTensor {
  const t = result.branches[label];
  if (!t) throw new CliError(`no result for branch "${label}" (results of another model?)`);
  return t;
}

/** The paper's two readings of one branch point from the branches' per-element readouts. */
function paperViews(point: BranchPoint, result: BranchResults) {
  const values = point.labels.map((l) => branchOf(result, l).value);
  const units = unitsOf(point.shape);
  const tokens = values[0]!.length / units;
  const oplus = point.labels.map(() => new Float64Array(tokens));
  const bucket = point.labels.map(() => new Float64Array(tokens));
  for (let t = 0; t < tokens; t++) {
    let bestUnit = -1;
    let bestValue = -Infinity;
    let bestBranch = 0;
    for (let u = 0; u < units; u++) {
      const e = t * units + u;
      // The unit's winning branch: strictly better replaces, so a tie keeps the first consumer.
      let w = 0;
      for (let b = 1; b < values.length; b++) if (values[b]![e]! > values[w]![e]!) w = b;
      const v = values[w]![e]!;
      bucket[w]![t]! += v;
      if (bestUnit < 0 || v > bestValue) [bestUnit, bestValue, bestBranch] = [u, v, w];
    }
    if (bestUnit >= 0) oplus[bestBranch]![t] = bestValue;
  }
  const shape = tokenShape(point.shape);
  const byLabel = (arrays: Float64Array[]) => Object.fromEntries(point.labels.map((l, i) => [l, { shape, value: arrays[i]! }]));
  return { oplus: byLabel(oplus), bucket_sum: byLabel(bucket) };
}

/** The asked-for views of every branch point for one semiring's result. */
export function computeBranchViews(
  points: readonly BranchPoint[],
  sr: Semiring,
  result: BranchResults,
  views: readonly BranchViewName[],
): BranchViews {
  const out: BranchViews = {};
  for (const view of viewsFor(sr, views)) out[view] = {};
  for (const point of points) {
    if (out.sum) {
      for (const l of point.labels) {
        const v = sumView(sr, branchOf(result, l), point.shape);
        if (!v) {
          delete out.sum; // results without lanes, and a ⊕ that needs them (entropy)
          break;
        }
        out.sum[l] = v;
      }
    }
    if (out.oplus || out.bucket_sum) {
      const paper = paperViews(point, result);
      if (out.oplus) Object.assign(out.oplus, paper.oplus);
      if (out.bucket_sum) Object.assign(out.bucket_sum, paper.bucket_sum);
    }
  }
  return out;
}

/** Views as JSON: { view: { label: { shape, value: nested } } }. */
export function branchViewsJson(views: BranchViews): Record<string, Record<string, { shape: number[]; value: Nested }>> {
  return Object.fromEntries(
    Object.entries(views).map(([view, byLabel]) => [
      view,
      Object.fromEntries(Object.entries(byLabel).map(([l, t]) => [l, { shape: t.shape, value: toNested(Array.from(t.value), t.shape) }])),
    ]),
  );
}

/** Checks that a model can give the asked-for views at all. */
export function requireBranchPoints(graph: Graph, views: readonly BranchViewName[]): BranchPoint[] {
  const points = branchPoints(graph);
  if (views.length > 0 && points.length === 0) {
    throw new CliError(`--branch-view: model ${graph.name} names no branches; mark a tensor's consumers with branch(x, "label")`);
  }
  return points;
}

const fmtList = (xs: Float64Array, fmt: (x: number) => string, max = 32) =>
  `[${Array.from(xs.subarray(0, max), fmt).join(", ")}${xs.length > max ? `, … (${xs.length - max} more)` : ""}]`;

/** The readable report's lines for one semiring's views (one line per view and branch). */
export function readableBranchViews(sr: Semiring, views: BranchViews, asked: readonly BranchViewName[], fmt: (x: number) => string): string[] {
  const out: string[] = [];
  for (const view of asked) {
    const byLabel = views[view];
    if (!byLabel) {
      out.push(`  branch view ${view}: not defined for ${sr.name} (its ⊕ picks no single branch; use maxprod or maxabs)`);
      continue;
    }
    out.push(`  branch view ${view}, per token:`);
    const width = Math.max(...Object.keys(byLabel).map((l) => l.length));
    for (const [label, t] of Object.entries(byLabel)) out.push(`    ${label.padEnd(width)}  ${fmtList(t.value, fmt)}`);
  }
  return out;
}
