// An independent reference of the paper library's max-product (PAPER.md §1), on the scalar
// gradient graph of the oracle (tests/oracle/scalarize.ts), never the backward builder or scheduler:
// output elements start at hi = lo = 1; consumers are visited from the output back (reverse program
// order); a consumer pushes hi and lo through its own edges as sums (an element it has no edge to gets
// 0), takes hi' = max(A, B) and lo' = min(A, B), and replaces the tensor's hi (lo) only where strictly
// larger (smaller), recording itself as the pointer.

import type { Graph } from "../../ir/graph.ts";
import type { Feeds } from "../../ir/interpret.ts";
import { sizeOf } from "../../ir/types.ts";
import { scalarize } from "../oracle/scalarize.ts";

export interface TensorLevelResult {
  hi: Float64Array;
  lo: Float64Array;
  hiFrom: Int32Array;
  loFrom: Int32Array;
}

export function paperMaxProduct(g: Graph, feeds: Feeds): TensorLevelResult[] {
  const { out } = scalarize(g, feeds);
  const n = g.nodes.length;
  // Tensors with an edge path to the output: the only ones the backward visits.
  const reaches = new Set<number>([g.output]);
  for (let id = n - 1; id >= 0; id--) if (out[id]!.some((edges) => edges.some((e) => reaches.has(e.node)))) reaches.add(id);
  const res = g.nodes.map((node): TensorLevelResult => {
    const size = sizeOf(node.type.shape);
    const seed = node.id === g.output;
    return {
      hi: new Float64Array(size).fill(seed ? 1 : -Infinity),
      lo: new Float64Array(size).fill(seed ? 1 : Infinity),
      hiFrom: new Int32Array(size).fill(-1),
      loFrom: new Int32Array(size).fill(-1),
    };
  });
  for (let y = n - 1; y >= 0; y--) {
    if (!reaches.has(y)) continue;
    const operands = [...new Set(g.nodes[y]!.inputs)];
    for (const x of operands) {
      const edges = out[x]!.map((es) => es.filter((e) => e.node === y));
      if (!edges.some((es) => es.length > 0)) continue; // no edges (ids, the detached max shift)
      const r = res[x]!;
      edges.forEach((es, p) => {
        let a = 0, b = 0;
        for (const e of es) {
          a += e.weight * res[y]!.hi[e.to]!;
          b += e.weight * res[y]!.lo[e.to]!;
        }
        const [hi, lo] = [Math.max(a, b), Math.min(a, b)];
        if (hi > r.hi[p]!) [r.hi[p], r.hiFrom[p]] = [hi, y];
        if (lo < r.lo[p]!) [r.lo[p], r.loFrom[p]] = [lo, y];
      });
    }
  }
  return res;
}
