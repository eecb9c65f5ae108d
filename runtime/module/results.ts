// Result assembly of one semiring's backward pass: readouts per element, ⊕ over axes, and the
// whole SemiringResult of run(). The JS and the WebGPU modules embed this file as text
// (compiler/backends/embed.ts), so it is self-contained apart from other runtime/module files.

import type { NonFinite } from "./finite.ts";
import type { PathStep, RunOptions, SemiringResult, Tensor } from "./types.ts";

/** Results and options of any module, whatever its names. */
export type AnyResult = SemiringResult<string, string>;
export type AnyRunOptions = RunOptions<string, string>;
/** One walked path: its value and its steps from the start element to the output. */
export interface TopPath {
  value: number;
  steps: PathStep[];
}
/** Where a top path starts (absent: the best element of the first wrt tensor). */
export type TopPathStart = Exclude<AnyRunOptions["topPath"], false>;

/** Lanes of one tensor: one array per semiring lane, all of the tensor's size. */
export type Lanes = (Float32Array | Float64Array)[];

/**
 * How a selecting semiring ranks paths, per lane: which way is better, the rank this lane holds
 * (1: best, 2: second…), the child lanes a lane's value can come from (for a non-negative and a
 * negative edge weight), and the path value extended by one edge.
 */
export interface PathRules {
  readonly sense: readonly ("max" | "min")[];
  readonly rank: readonly number[];
  readonly sources: readonly (readonly [readonly number[], readonly number[]])[];
  readonly extend: (w: number, v: number) => number;
}

/**
 * The host-side functions of one semiring, generated per module from its ⊕ and readout (they run
 * outside the backward loops): what result assembly and the path walk call.
 */
export interface SemiringLanes {
  readonly lanes: readonly string[];
  /** 0̄ per lane. */
  readonly zero: readonly number[];
  readout(...x: number[]): number[];
  plus(...x: number[]): number[];
  /** Selecting semirings only. */
  readonly paths: PathRules | null;
  /** Whether lift reads the edge weight: if not (count), non-finite weights change nothing. */
  readonly weighted: boolean;
}

/** A semiring after its backward pass: its functions and the adjoint lanes of every live node. */
export interface Backward extends SemiringLanes {
  readonly adjoints: Readonly<Record<number, Lanes>>;
}

/** Which nodes the options name, and their shapes (node ids as object keys). */
export interface ResultGraph {
  readonly wrt: Readonly<Record<string, number>>;
  readonly branches: Readonly<Record<string, number>>;
  readonly shapes: Readonly<Record<number, readonly number[]>>;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return index;
}

/** Flat element of `index` (negative entries count from the end). */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let a = 0; a < shape.length; a++) {
    const i = index[a]! < 0 ? index[a]! + shape[a]! : index[a]!;
    if (!(i >= 0 && i < shape[a]!)) throw new Error(`index [${index.join(",")}] is out of range for shape [${shape.join(",")}]`);
    flat = flat * shape[a]! + i;
  }
  return flat;
}

function readouts(b: SemiringLanes, lanes: Lanes, n: number): { value: Float64Array; k: number } {
  const first = b.readout(...lanes.map((l) => l[0]!));
  const k = first.length;
  const value = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const r = b.readout(...lanes.map((l) => l[i]!));
    for (let j = 0; j < k; j++) value[i * k + j] = r[j]!;
  }
  return { value, k };
}

/** The readout of every element, and the lanes by name (the caller's copies: kept as given). */
export function tensorResult(b: SemiringLanes, lanes: Lanes, shape: readonly number[]): Tensor {
  const { value, k } = readouts(b, lanes, sizeOf(shape));
  return {
    shape: k === 1 ? shape.slice() : [...shape, k],
    value,
    lanes: Object.fromEntries(b.lanes.map((name, l) => [name, lanes[l]!])),
  };
}

/** ⊕ over the given axes (negative axes count from the end). */
export function aggregate(b: SemiringLanes, lanes: Lanes, shape: readonly number[], axes: readonly number[]): Tensor & { axes: number[] } {
  const rank = shape.length;
  const norm = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))];
  for (const a of norm) if (!(a >= 0 && a < rank)) throw new Error(`aggregation axis ${a} is out of range for shape [${shape.join(",")}]`);
  const keep = shape.map((_, a) => !norm.includes(a));
  const outShape = shape.filter((_, a) => keep[a]);
  const n = sizeOf(outShape);
  const out = b.lanes.map((_, l) => new Float64Array(n).fill(b.zero[l]!));
  const total = sizeOf(shape);
  for (let i = 0; i < total; i++) {
    const o = ravel(unravel(i, shape).filter((_, a) => keep[a]), outShape);
    const sum = b.plus(...out.map((l) => l[o]!), ...lanes.map((l) => l[i]!));
    for (let l = 0; l < out.length; l++) out[l]![o] = sum[l]!;
  }
  return { axes: norm.sort(), ...tensorResult(b, out, outShape) };
}

/** The top paths of a selecting semiring (runtime/module/paths.ts), or absent where no semiring walks paths. */
export type WalkPaths = (b: Backward, start: TopPathStart | undefined) => TopPath[];

/**
 * run()'s result for one semiring: readouts of the chosen wrt tensors and every branch, the
 * requested aggregations, the top paths of a selecting semiring, and NaN where a non-finite
 * forward value spoils a readout (runtime/module/finite.ts).
 */
export function semiringResult(g: ResultGraph, b: Backward, options: AnyRunOptions, nf: NonFinite | null, walk: WalkPaths | null): AnyResult {
  const lanesOf = (id: number) => b.adjoints[id]!.map((lane) => lane.slice());
  const res: AnyResult = { wrt: {}, branches: {} };
  for (const w of options.wrt ?? Object.keys(g.wrt)) res.wrt[w] = tensorResult(b, lanesOf(g.wrt[w]!), g.shapes[g.wrt[w]!]!);
  for (const [label, id] of Object.entries(g.branches)) res.branches[label] = tensorResult(b, lanesOf(id), g.shapes[id]!);
  const nodeOf = { ...g.branches, ...g.wrt };
  if (options.aggregate) {
    res.aggregated = {};
    for (const [w, axes] of Object.entries(options.aggregate)) res.aggregated[w] = aggregate(b, lanesOf(nodeOf[w]!), g.shapes[nodeOf[w]!]!, axes);
  }
  if (walk && b.paths && options.topPath !== false && Object.keys(g.wrt).length > 0) {
    const paths = walk(b, options.topPath);
    res.topPath = paths[0]?.steps ?? [];
    res.topPathValue = paths[0]?.value;
    if (paths.length > 1) res.topPaths = paths;
  }
  const first = Object.keys(g.wrt)[0];
  if (nf && b.weighted) spoilResult(res, nf, nodeOf, options.topPath ? (options.topPath.from ?? first) : first);
  return res;
}

/**
 * Sets to NaN the readouts that depend on a non-finite edge weight, and drops a top path that
 * starts at such a tensor (it has no meaningful value).
 */
function spoilResult(res: AnyResult, nf: NonFinite, ids: Readonly<Record<string, number>>, topFrom: string | undefined): void {
  const spoiled = (name: string) => ids[name] !== undefined && nf.spoiled.has(ids[name]);
  for (const group of [res.wrt, res.branches, res.aggregated ?? {}])
    for (const [name, t] of Object.entries(group)) if (spoiled(name)) t.value.fill(NaN);
  if (res.topPath !== undefined && topFrom !== undefined && spoiled(topFrom)) {
    res.topPath = [];
    res.topPathValue = NaN;
    delete res.topPaths;
  }
}
