// Expands a graph into its scalar gradient graph: every (node, element) is a scalar node, every
// point of an op's edge sets an edge weighted by the local derivative at the forward values.
// Uses only the op rules and the reference interpreter, never the backward builder.

import type { Graph } from "../../ir/graph.ts";
import { forEachPoint, interpret, roleLoader, type Feeds, type Trace } from "../../ir/interpret.ts";
import { opRules } from "../../ir/ops/index.ts";
import * as S from "../../ir/scalar.ts";
import { ravel, sizeOf } from "../../ir/types.ts";
import { ruleCtx } from "../../ir/graph.ts";

export interface ScalarEdge {
  /** Consumer node and operand slot the edge belongs to. */
  readonly node: number;
  readonly slot: number;
  readonly from: number; // flat element of the operand
  readonly to: number; // flat element of the consumer's output
  readonly weight: number;
}

export interface ScalarGraph {
  readonly trace: Trace;
  /** Out-edges of each (node, element), in program order of consumers, then edge order. */
  readonly out: readonly (readonly ScalarEdge[][])[];
}

export function scalarize(g: Graph, feeds: Feeds, trace: Trace = interpret(g, feeds)): ScalarGraph {
  const out: ScalarEdge[][][] = g.nodes.map((n) => Array.from({ length: sizeOf(n.type.shape) }, () => []));
  for (const node of g.nodes) {
    const rule = opRules[node.op];
    const roles = roleLoader(g, node, trace.values, trace.aux[node.id]!);
    for (const es of rule.edges(ruleCtx(g, node))) {
      const src = node.inputs[es.input]!;
      const srcShape = g.nodes[src]!.type.shape;
      forEachPoint(es.vars, (vars) => {
        const env = { vars, load: roles.load };
        if (es.guard && S.evaluate(es.guard, env) === 0) return;
        const from = ravel(es.inIndex.map((i) => S.evaluate(i, env)), srcShape);
        const to = ravel(es.outIndex.map((i) => S.evaluate(i, env)), node.type.shape);
        out[src]![from]!.push({ node: node.id, slot: es.input, from, to, weight: S.evaluate(es.weight, env) });
      });
    }
  }
  // Consumers in program order: edges were appended in node order already; within a node, by slot.
  for (const perNode of out) for (const edges of perNode) edges.sort((a, b) => a.node - b.node || a.slot - b.slot);
  return { trace, out };
}
