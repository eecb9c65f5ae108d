// Central finite differences of a graph's scalar output, in float64. Uses only the forward
// interpreter and never an op's Jacobian, so it checks the Jacobians independently.

import type { Graph } from "../../ir/graph.ts";
import { interpret, type Feeds } from "../../ir/interpret.ts";
import { opRules } from "../../ir/ops/index.ts";

const outputOf = (g: Graph, feeds: Feeds): number => interpret(g, feeds).values[g.output]![0]!;

/** ∂output/∂v for every element v of every f32 input and param, by name: (f(v+h) − f(v−h)) / 2h. */
export function finiteDiff(g: Graph, feeds: Readonly<Record<string, Float64Array>>, h = 1e-5): Record<string, Float64Array> {
  const grads: Record<string, Float64Array> = {};
  for (const n of g.nodes) {
    const role = opRules[n.op].role;
    if ((role !== "input" && role !== "param") || n.type.dtype !== "f32") continue;
    const name = n.attrs["name"] as string;
    const base = feeds[name]!;
    const grad = new Float64Array(base.length);
    for (let e = 0; e < base.length; e++) {
      const at = (delta: number) => {
        const moved = Float64Array.from(base);
        moved[e] = base[e]! + delta;
        return outputOf(g, { ...feeds, [name]: moved });
      };
      grad[e] = (at(h) - at(-h)) / (2 * h);
    }
    grads[name] = grad;
  }
  return grads;
}
