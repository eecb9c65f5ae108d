// Many small graphs in one: compiling and importing a module has a fixed cost far above that of
// a tiny graph, so the campaigns check graphs in batches. The union of the graphs, each leaf and
// label prefixed `g<i>.`, outputs added up: every edge of every part is kept, and the added `add`
// edges weigh 1 (1̄ in every semiring), so each part's adjoints and paths are its own.

import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import type { Feeds } from "../../ir/interpret.ts";

export interface Part {
  readonly graph: Graph;
  readonly feeds: Feeds;
}

export function combine(parts: readonly Part[]): Part {
  if (parts.length === 1) return parts[0]!;
  const b = new GraphBuilder("batch");
  const feeds: Record<string, ArrayLike<number>> = {};
  let out: number | undefined;
  parts.forEach(({ graph, feeds: own }, i) => {
    const ids: number[] = [];
    for (const n of graph.nodes) {
      const attrs = { ...n.attrs };
      for (const key of ["name", "label"]) if (typeof attrs[key] === "string") attrs[key] = `g${i}.${attrs[key] as string}`;
      ids[n.id] = b.add(n.op, n.inputs.map((x) => ids[x]!), attrs);
    }
    for (const [name, v] of Object.entries(own)) feeds[`g${i}.${name}`] = v;
    const o = ids[graph.output]!;
    out = out === undefined ? o : b.add("add", [out, o]);
  });
  return { graph: b.build(out!), feeds };
}
