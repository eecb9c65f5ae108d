// What a generated module's run-time checks need to know about the graph, computed once at compile
// time: tensor specs for the argument checks (with, for integer inputs, the gathers each element
// indexes) and the forward buffers in program order for the non-finite scan.

import type { Graph, Node } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret.ts";
import { opRules } from "../../ir/ops/index.ts";
import type { EdgeSet } from "../../ir/ops/rule.ts";
import * as S from "../../ir/scalar.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { sizeOf } from "../../ir/types.ts";
import type { IdRange, TensorSpec } from "../../runtime/module/args.ts";
import type { ValueInfo } from "../../runtime/module/finite.ts";
import type { BackwardPlan } from "../backward.ts";
import { valueBuffer } from "../schedule.ts";
import { tensorName } from "./js/edges.ts";

const roleOf = (n: Node) => opRules[n.op].role;

/**
 * For every i32 input, the valid id range of each element that some gather reads. Integer values
 * only move (reshape, slice, concat, transpose, pick) between an input and a gather, so running
 * the integer part of the graph on inputs holding their own element numbers tells which input
 * element each gather id comes from.
 */
export function idRanges(g: Graph): Map<string, IdRange[]> {
  const gathers = g.nodes.filter((n) => n.op === "gather");
  const out = new Map<string, IdRange[]>();
  if (gathers.length === 0) return out;
  // The integer subgraph: ancestors of the gathers' ids, renumbered densely.
  const keep = new Set<number>();
  const stack = gathers.map((n) => n.inputs[1]!);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    stack.push(...g.nodes[id]!.inputs);
  }
  const order = [...keep].sort((a, b) => a - b);
  const renumber = new Map(order.map((id, i) => [id, i]));
  const nodes = order.map((id) => {
    const n = g.nodes[id]!;
    return { ...n, id: renumber.get(id)!, inputs: n.inputs.map((x) => renumber.get(x)!) };
  });
  // Each integer input element gets a code unique across inputs: its input's offset plus its index.
  const inputs = nodes.filter((n) => roleOf(n) === "input");
  const feeds: Record<string, number[]> = {};
  const offsets: { name: string; shape: readonly number[]; at: number }[] = [];
  let at = 0;
  for (const n of inputs) {
    const size = sizeOf(n.type.shape);
    const name = tensorName(n);
    feeds[name] = Array.from({ length: size }, (_, i) => at + i);
    offsets.push({ name, shape: n.type.shape, at });
    at += size;
  }
  const trace = interpret({ name: g.name, nodes, output: nodes.length - 1 }, feeds);
  for (const gather of gathers) {
    const table = g.nodes[gather.inputs[0]!]!;
    const rows = table.type.shape[0]!;
    const op = `gather(${tensorName(table)} [${table.type.shape.join(",")}])`;
    const codes = trace.values[renumber.get(gather.inputs[1]!)!]!;
    const byInput = new Map<string, Set<number>>();
    for (const code of codes) {
      let src = offsets[0]!;
      for (const o of offsets) if (o.at <= code) src = o;
      let set = byInput.get(src.name);
      if (!set) byInput.set(src.name, (set = new Set()));
      set.add(code - src.at);
    }
    for (const [name, elements] of byInput) {
      const src = offsets.find((o) => o.name === name)!;
      const all = elements.size === sizeOf(src.shape);
      const list = out.get(name) ?? [];
      list.push(all ? { rows, op } : { rows, op, elements: [...elements].sort((a, b) => a - b) });
      out.set(name, list);
    }
  }
  // The tightest range first: it is the one an out-of-range id is reported against.
  for (const list of out.values()) list.sort((a, b) => a.rows - b.rows);
  return out;
}

/** Specs of the inputs and params, in graph order, for checkTensors. */
export function tensorSpecs(g: Graph): { inputs: TensorSpec[]; params: TensorSpec[] } {
  const ranges = idRanges(g);
  const spec = (n: Node): TensorSpec => {
    const ids = ranges.get(tensorName(n));
    return { name: tensorName(n), shape: n.type.shape, dtype: n.type.dtype, ...(ids ? { ids } : {}) };
  };
  return { inputs: g.nodes.filter((n) => roleOf(n) === "input").map(spec), params: g.nodes.filter((n) => roleOf(n) === "param").map(spec) };
}

/** Whether a semiring's lift reads the edge weight (count's does not: its results ignore weights). */
export function liftReadsWeight(sr: Semiring): boolean {
  const reads = (x: S.Sx): boolean => (x.k === "var" && x.name === "w") || S.children(x).some(reads);
  return sr.lift(S.v("w")).some(reads);
}

/** The nodes whose values an edge set's weight (and guard) formula reads. */
function weightReads(node: Node, edges: EdgeSet): number[] {
  const reads = new Set<number>();
  for (const x of [edges.weight, ...(edges.guard ? [edges.guard] : [])])
    for (const l of S.loadsOf(x)) {
      if (l.k !== "load") continue;
      if (l.ref === "y") reads.add(node.id);
      else if (/^x\d+$/.test(l.ref)) reads.add(node.inputs[Number(l.ref.slice(1))]!);
      // Saved values (a row's max, a layer norm's 1/σ) come from the operands and the output.
      else for (const id of [node.id, ...node.inputs]) reads.add(id);
    }
  return [...reads].sort((a, b) => a - b);
}

/**
 * The forward value of every f32 node in program order, with the edges into it, for the
 * non-finite scan (integers are always finite).
 */
export function valueInfos(plan: BackwardPlan): ValueInfo[] {
  const g = plan.graph;
  const edgesInto = new Map<number, Map<number, Set<number>>>();
  for (const st of plan.steps) {
    const bySource = edgesInto.get(st.node.id) ?? new Map<number, Set<number>>();
    edgesInto.set(st.node.id, bySource);
    const reads = bySource.get(st.source.id) ?? new Set<number>();
    bySource.set(st.source.id, reads);
    for (const r of weightReads(st.node, st.edges)) reads.add(r);
  }
  return g.nodes
    .filter((n) => n.type.dtype === "f32")
    .map((n) => {
      const buffer = valueBuffer(g, n.id);
      const edges = [...(edgesInto.get(n.id) ?? new Map<number, Set<number>>())]
        .sort(([a], [b]) => a - b)
        .map(([src, reads]) => [src, [...reads].sort((a, b) => a - b)] as const);
      return {
        node: n.id,
        op: n.op,
        tensor: tensorName(n),
        shape: n.type.shape,
        ...(roleOf(n) === "param" || roleOf(n) === "constant" ? { fixed: true } : {}),
        ...(buffer === `v${n.id}` ? {} : { alias: n.inputs[0]! }),
        edges,
        ...(n.loc ? { loc: `${n.loc.file}:${n.loc.line}:${n.loc.col}` } : {}),
      };
    });
}
