// What a max-product (or any path) result means, as data. "element" is the paper's definition
// (Eq. 5): every path of the scalar gradient graph competes. "paper" is what the paper's library
// computes: composites decomposed as the library builds them, and every semiring that has a
// tensor-level reading (ir/semirings/semiring.ts, TensorLevel) scheduled per consumer.

import type { Graph } from "../ir/graph.ts";
import { opRules } from "../ir/ops/index.ts";
import { expandComposites, type Composite, type Decomposition } from "../ir/passes/expand.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import { atTensorLevel } from "../ir/semirings/tensorLevel.ts";

export interface SemanticsSpec {
  /** One line for --help and the README. */
  readonly summary: string;
  /** Composites always expanded, and the decomposition used for every expansion. */
  readonly expand: readonly Composite[];
  readonly decomposition: Decomposition;
  /** Use each semiring's tensor-level reading where it has one. */
  readonly tensorLevel: boolean;
}

export const semantics = {
  element: {
    summary: "every path of the scalar gradient graph competes (the paper's Eq. 5; the default)",
    expand: [],
    decomposition: "shifted",
    tensorLevel: false,
  },
  paper: {
    summary: "the paper library's max-product: max over consumers of per-consumer sums, composites decomposed as the library does",
    expand: ["softmax", "log_softmax", "layer_norm"],
    decomposition: "library",
    tensorLevel: true,
  },
} as const satisfies Record<string, SemanticsSpec>;

export type SemanticsName = keyof typeof semantics;
export const semanticsNames = Object.keys(semantics) as SemanticsName[];

/** The graph with the semantics' expansions (plus `expand`), in its decomposition. */
export function expandFor(graph: Graph, name: SemanticsName, expand: readonly Composite[] = []): Graph {
  const spec: SemanticsSpec = semantics[name];
  const which = [...new Set([...spec.expand, ...expand])];
  return which.length > 0 ? expandComposites(graph, which, spec.decomposition) : graph;
}

/** The semirings as the semantics schedules them. */
export function semiringsFor(semirings: readonly Semiring[], name: SemanticsName): Semiring[] {
  const spec: SemanticsSpec = semantics[name];
  return semirings.map((s) => (spec.tensorLevel && s.tensorLevel ? atTensorLevel(s) : s));
}

/**
 * What a tensor-level pointer lane (`hiFrom`, `loFrom`: a consumer node id) names: a branch's
 * label, a name()'s name, else `%<id> <op>` as `semic ir` prints the node.
 */
export function consumerLabels(graph: Graph): Map<number, string> {
  return new Map(
    graph.nodes.map((n) => {
      const role = opRules[n.op].role;
      const label = role === "branch" ? n.attrs["label"] : role === "name" ? n.attrs["name"] ?? n.attrs["label"] : undefined;
      return [n.id, typeof label === "string" ? label : `%${n.id} ${n.op}`];
    }),
  );
}
