// Brute force: every path of the scalar gradient graph from a source element to the output,
// folded with a semiring's own ⊕ and ⊗ (evaluated from its Sx). Exponential: tiny graphs only.

import type { Graph } from "../../ir/graph.ts";
import type { Feeds } from "../../ir/interpret.ts";
import * as S from "../../ir/scalar.ts";
import { scaleBy, type Semiring } from "../../ir/semirings/semiring.ts";
import { sizeOf } from "../../ir/types.ts";
import { scalarize, type ScalarGraph } from "./scalarize.ts";

export type Element = number[];

/** Numeric ⊕ and lift(w)⊗ of a semiring, from its Sx definitions. */
export function numericSemiring(sr: Semiring) {
  const a = sr.lanes.map((_, l) => S.v(`a${l}`));
  const b = sr.lanes.map((_, l) => S.v(`b${l}`));
  const plus = sr.plus(a, b);
  const scale = scaleBy(sr, S.v("w"), b);
  const readout = sr.readout(a);
  const env = (x: readonly number[], y: readonly number[], w = 0) => {
    const vars: Record<string, number> = { w };
    x.forEach((v, l) => (vars[`a${l}`] = v));
    y.forEach((v, l) => (vars[`b${l}`] = v));
    return { vars, load: () => NaN };
  };
  return {
    plus: (x: readonly number[], y: readonly number[]) => plus.map((e) => S.evaluate(e, env(x, y))),
    scale: (w: number, y: readonly number[]) => scale.map((e) => S.evaluate(e, env([], y, w))),
    readout: (x: readonly number[]) => readout.map((e) => S.evaluate(e, env(x, []))),
  };
}

/** All paths from (node, element) to the output, as lists of edge weights (input side first). */
export function pathsFrom(sg: ScalarGraph, output: number, node: number, elem: number, limit = 200_000): number[][] {
  const out: number[][] = [];
  const stack: number[] = [];
  const go = (n: number, e: number) => {
    if (n === output) {
      out.push([...stack]);
      if (out.length > limit) throw new Error(`more than ${limit} paths: graph too large for brute force`);
      return;
    }
    for (const edge of sg.out[n]![e]!) {
      stack.push(edge.weight);
      go(edge.node, edge.to);
      stack.pop();
    }
  };
  go(node, elem);
  return out;
}

/** ⊕ over paths of lift(w1) ⊗ (lift(w2) ⊗ … ⊗ 1̄), for every element of `node`. */
export function bruteForce(g: Graph, feeds: Feeds, sr: Semiring, node: number, sg: ScalarGraph = scalarize(g, feeds)): number[][] {
  const num = numericSemiring(sr);
  const n = sizeOf(g.nodes[node]!.type.shape);
  const result: number[][] = [];
  for (let e = 0; e < n; e++) {
    let acc = [...sr.zero];
    for (const path of pathsFrom(sg, g.output, node, e)) {
      let val = [...sr.one];
      for (let i = path.length - 1; i >= 0; i--) val = num.scale(path[i]!, val);
      acc = num.plus(acc, val);
    }
    result.push(acc);
  }
  return result;
}

/** Number of paths to the output from every element (DP, no enumeration): per node the sum over its elements, and the total. */
export function countPaths(sg: ScalarGraph, output: number): { perNode: number[]; total: number } {
  const memo = sg.out.map((elems) => new Array<number>(elems.length).fill(-1));
  const from = (n: number, e: number): number => {
    if (n === output) return 1;
    if (memo[n]![e]! >= 0) return memo[n]![e]!;
    let c = 0;
    for (const edge of sg.out[n]![e]!) c += from(edge.node, edge.to);
    return (memo[n]![e] = c);
  };
  const perNode = sg.out.map((elems, n) => elems.reduce((acc, _, e) => acc + from(n, e), 0));
  return { perNode, total: perNode.reduce((a, b) => a + b, 0) };
}
