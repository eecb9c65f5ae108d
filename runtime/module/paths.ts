// The top-path walk of selecting semirings (maxprod, topk…): from one element of a wrt tensor or
// branch to the output, over the adjoints of the last backward pass. Embedded as text only in
// modules that compile such a semiring (compiler/backends/embed.ts).

import { ravel, unravel, type Backward, type TopPath, type TopPathStart } from "./results.ts";
import type { PathStep } from "./types.ts";

/** One consumer of a tensor: the node it feeds and the edges from one element into it. */
export interface OutEdge {
  readonly node: number;
  readonly op: string;
  readonly tensor: string;
  /** The consumer's shape. */
  readonly shape: readonly number[];
  /** Calls visit(consumer element, edge weight) for each edge out of element `p`. */
  edges(p: number, visit: (q: number, w: number) => void): void;
}

/** The graph a path walk needs (node ids as object keys). */
export interface PathGraph {
  readonly wrt: Readonly<Record<string, number>>;
  readonly branches: Readonly<Record<string, number>>;
  readonly shapes: Readonly<Record<number, readonly number[]>>;
  readonly names: Readonly<Record<number, string>>;
  readonly ops: Readonly<Record<number, string>>;
  readonly output: number;
  /** Generated per module (compiler/backends/js/edges.ts), over the forward values. */
  readonly outEdges: Readonly<Record<number, readonly OutEdge[]>>;
}

interface Candidate {
  readonly e: OutEdge;
  readonly q: number;
  readonly w: number;
  readonly l: number;
  readonly v: number;
  readonly order: number;
}

// From element p of node, follow at each step the out-edge and child lane whose extended path value
// ranks where this lane's value ranks among all candidates (consumers in program order, then
// element order, break ties): the back-pointer, recomputed only along the walked path.
function walkPath(m: PathGraph, b: Backward, node: number, p: number, lane: number): TopPath {
  const { sense, rank, sources, extend } = b.paths!;
  const steps: PathStep[] = [{ op: m.ops[node]!, tensor: m.names[node]!, index: unravel(p, m.shapes[node]!), weight: 1 }];
  const value = b.adjoints[node]![lane]![p]!;
  while (node !== m.output) {
    const cands: Candidate[] = [];
    for (const e of m.outEdges[node] ?? []) {
      const child = b.adjoints[e.node];
      if (!child) continue;
      e.edges(p, (q, w) => {
        for (const l of sources[lane]![w >= 0 ? 0 : 1]) {
          const v = extend(w, child[l]![q]!);
          if (Number.isFinite(v)) cands.push({ e, q, w, l, v, order: cands.length });
        }
      });
    }
    if (cands.length === 0) break;
    const dir = sense[lane] === "max" ? -1 : 1;
    cands.sort((x, y) => (x.v === y.v ? x.order - y.order : x.v < y.v ? -dir : dir));
    const c = cands[Math.min(rank[lane]!, cands.length) - 1]!;
    steps.push({ op: c.e.op, tensor: c.e.tensor, index: unravel(c.q, c.e.shape), weight: c.w });
    node = c.e.node;
    p = c.q;
    lane = c.l;
  }
  return { value, steps };
}

/**
 * The top paths from one element (options.index, or the element whose best path is best), one per
 * lane of the leading sense in rank order, skipping lanes that hold no path there.
 */
export function topPaths(m: PathGraph, b: Backward, options: TopPathStart | undefined): TopPath[] {
  const paths = b.paths!;
  const from = options?.from ?? Object.keys(m.wrt)[0]!;
  const id = m.wrt[from] ?? m.branches[from];
  if (id === undefined) throw new Error(`no tensor "${from}" to start a top path from`);
  const lanes = b.adjoints[id]!;
  let p = 0;
  if (options?.index) p = ravel(options.index, m.shapes[id]!);
  else {
    const first = paths.sense[0] === "max" ? 1 : -1;
    for (let i = 1; i < lanes[0]!.length; i++) if (first * (lanes[0]![i]! - lanes[0]![p]!) > 0) p = i;
  }
  const lead = paths.sense[0];
  const starts = b.lanes
    .map((_, l) => l)
    .filter((l) => paths.sense[l] === lead)
    .sort((x, y) => paths.rank[x]! - paths.rank[y]!);
  return starts.filter((l) => Number.isFinite(lanes[l]![p]!)).map((l) => walkPath(m, b, id, p, l));
}
