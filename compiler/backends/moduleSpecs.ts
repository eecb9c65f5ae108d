// What a generated module's run-time checks need to know about the graph, computed once at compile
// time: tensor specs for the argument checks (with, for integer inputs, the gathers each element
// indexes) and the forward buffers in program order for the non-finite scan.

import type { Graph, Node } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret.ts";
import { opRules } from "../../ir/ops/index.ts";
import { sizeOf } from "../../ir/types.ts";
import type { IdRange, TensorSpec } from "../../runtime/module/args.ts";
import type { ValueInfo } from "../../runtime/module/finite.ts";
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

/** The forward value of every node, in program order (f32 only: integers are always finite). */
export function valueInfos(g: Graph): ValueInfo[] {
  return g.nodes
    .filter((n) => n.type.dtype === "f32")
    .map((n) => ({
      node: n.id,
      op: n.op,
      tensor: tensorName(n),
      shape: n.type.shape,
      operands: n.inputs,
      ...(n.loc ? { loc: `${n.loc.file}:${n.loc.line}:${n.loc.col}` } : {}),
    }));
}
