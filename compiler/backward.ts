// The one backward builder. For every edge set of every op on a path from a requested tensor to the
// output, one accumulation: adj(x[in]) ⊕= lift(w) ⊗ adj(y[out]). It knows adjoints, not semirings:
// the semiring is applied when the plan is scheduled into kernels.

import { namedNodes, ruleCtx, SemicError, type Graph, type Node } from "../ir/graph.ts";
import { opRules } from "../ir/ops/index.ts";
import type { EdgeSet } from "../ir/ops/rule.ts";

export interface BackwardStep {
  /** The consumer whose edges are walked, and the operand they lead from. */
  readonly node: Node;
  readonly source: Node;
  readonly edges: EdgeSet;
}

export interface BackwardPlan {
  readonly graph: Graph;
  /** Nodes that carry an adjoint: on a path from a requested tensor to the output. */
  readonly live: ReadonlySet<number>;
  /** Requested tensors (inputs, params, named tensors), by user name. */
  readonly wrt: ReadonlyMap<string, Node>;
  /** Branch nodes whose adjoint is a consumer's contribution, by label. */
  readonly branches: ReadonlyMap<string, Node>;
  /** Accumulations in reverse topological order. */
  readonly steps: readonly BackwardStep[];
}

/** Inputs of dtype f32 and every name(): what a user asks for when they name nothing. */
export function defaultWrt(g: Graph): string[] {
  return g.nodes
    .filter((n) => {
      const role = opRules[n.op].role;
      return (role === "input" && n.type.dtype === "f32") || role === "name";
    })
    .map((n) => String(n.attrs["name"] ?? n.attrs["label"]));
}

export function buildBackward(g: Graph, wrtNames: readonly string[] = defaultWrt(g)): BackwardPlan {
  const named = namedNodes(g);
  const wrt = new Map<string, Node>();
  for (const name of wrtNames) {
    const node = named.get(name);
    if (!node) {
      const known = [...named.keys()].join(", ");
      throw new SemicError("E_WRT", `no tensor named "${name}" to differentiate with respect to (named tensors: ${known})`);
    }
    if (node.type.dtype !== "f32") throw new SemicError("E_WRT", `"${name}" holds integer ids: it has no gradient`);
    wrt.set(name, node);
  }
  // Forward closure of the requested tensors ∩ backward closure of the output.
  const fromWrt = new Set<number>([...wrt.values()].map((n) => n.id));
  // Integer tensors (ids, and anything moved from them) carry no gradient.
  for (const n of g.nodes) {
    if (n.type.dtype !== "f32") continue;
    const slots = edgeSlots(g, n);
    if (n.inputs.some((x, slot) => fromWrt.has(x) && slots.has(slot))) fromWrt.add(n.id);
  }
  const toOut = new Set<number>([g.output]);
  for (let id = g.output; id >= 0; id--) {
    if (!toOut.has(id)) continue;
    const n = g.nodes[id]!;
    for (const slot of edgeSlots(g, n)) toOut.add(n.inputs[slot]!);
  }
  const live = new Set([...fromWrt].filter((id) => toOut.has(id)));
  if (!live.has(g.output)) {
    const names = [...wrt.keys()].join(", ");
    throw new SemicError("E_WRT", `the output does not depend on ${names || "any requested tensor"}: no gradient path`);
  }
  // A requested tensor with no path to the output still gets an adjoint: 0̄ everywhere. It is
  // no consumer of anything: the semantics that push values through a consumer's edges (tensor-level
  // sums) must not see one that never reaches the output.
  const consumers = new Set(live);
  for (const n of wrt.values()) live.add(n.id);
  const steps: BackwardStep[] = [];
  for (let id = g.nodes.length - 1; id >= 0; id--) {
    const node = g.nodes[id]!;
    if (!consumers.has(id)) continue;
    for (const es of opRules[node.op].edges(ruleCtx(g, node))) {
      const source = g.nodes[node.inputs[es.input]!]!;
      if (live.has(source.id)) steps.push({ node, source, edges: es });
    }
  }
  const branches = new Map<string, Node>();
  for (const n of g.nodes) if (opRules[n.op].role === "branch" && live.has(n.id)) branches.set(String(n.attrs["label"]), n);
  return { graph: g, live, wrt, branches, steps };
}

function edgeSlots(g: Graph, n: Node): Set<number> {
  return new Set(opRules[n.op].edges(ruleCtx(g, n)).map((e) => e.input));
}
