// Host-side enumeration of the out-edges of one element, used only to walk top paths: vars that
// the source index names plainly are solved from the element's coordinates, the rest are looped.

import { leafName, type Graph, type Node } from "../../../ir/graph.ts";
import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import { stridesOf } from "../../../ir/types.ts";
import type { BackwardPlan, BackwardStep } from "../../backward.ts";
import { flatIndex, flattenLoads, type CodeBuilder } from "../emit.ts";
import { JsExpr } from "./render.ts";
import { bindRoles, bufferShapes } from "../../schedule.ts";

export function edgeEnumerator(fnName: string, step: BackwardStep, g: Graph): string {
  const { node, source, edges } = step;
  const bind = bindRoles(g, node);
  const shapes = bufferShapes(g);
  const shapeOf = (b: string) => shapes.get(b)!;
  const srcShape = source.type.shape;
  const solved: Record<string, Sx> = {};
  const checks: Sx[] = [];
  edges.inIndex.forEach((ix, a) => {
    const coord = S.v(`@c${a}`);
    if (ix.k === "var" && !solved[ix.name]) solved[ix.name] = coord;
    else checks.push(S.eq(ix, coord));
  });
  const loops = edges.vars.filter((iv) => !solved[iv.name] && iv.extent > 0);
  const sub = (x: Sx) => flattenLoads(S.substitute(bind(x), solved), shapeOf);
  const cond = [...checks.map(sub), ...(edges.guard ? [sub(edges.guard)] : [])].reduce<Sx>((acc, c) => S.and(acc, c), S.c(1));
  const js = new JsExpr((n) => (n.startsWith("@") ? n.slice(1) : `v_${n}`));
  const strides = stridesOf(srcShape);
  const lines: string[] = [];
  lines.push(`function ${fnName}(p, visit) {`);
  lines.push(`  // ${node.op} %${node.id}, from operand ${edges.input} (%${source.id})`);
  srcShape.forEach((d, a) => lines.push(`  const c${a} = Math.floor(p / ${strides[a]}) % ${d};`));
  let ind = "  ";
  for (const iv of loops) {
    lines.push(`${ind}for (let v_${iv.name} = 0; v_${iv.name} < ${iv.extent}; v_${iv.name}++) {`);
    ind += "  ";
  }
  const visit = `visit(${js.num(sub(flatIndex(edges.outIndex, node.type.shape)))}, ${js.num(sub(edges.weight))});`;
  if (cond.k === "const") lines.push(`${ind}${visit}`);
  else lines.push(`${ind}if (${js.bool(cond)}) ${visit}`);
  for (let i = loops.length; i > 0; i--) lines.push(`${"  ".repeat(i)}}`);
  lines.push(`}`);
  return lines.join("\n");
}

/** How generated code and path steps name a tensor: its label, or its IR value number. */
export const tensorName = (n: Node) => leafName(n) ?? `%${n.id}`;

/**
 * Emits one enumerator per backward step, then `${open}` … a table from each live node to its
 * consumers' enumerators in program order (plan steps run in reverse), closed by `};`.
 */
export function renderOutEdges(plan: BackwardPlan, out: CodeBuilder, open: string): void {
  const g = plan.graph;
  plan.steps.forEach((st, i) => out.lines(edgeEnumerator(`edges${i}`, st, g).split("\n")));
  const byNode = new Map<number, string[]>();
  plan.steps.forEach((st, i) => {
    const list = byNode.get(st.source.id) ?? [];
    list.push(`{ node: ${st.node.id}, op: ${JSON.stringify(st.node.op)}, tensor: ${JSON.stringify(tensorName(st.node))}, shape: ${JSON.stringify(st.node.type.shape)}, edges: edges${i} }`);
    byNode.set(st.source.id, list);
  });
  out.open(open);
  for (const id of [...plan.live].sort((a, b) => a - b)) out.line(`${id}: [${(byNode.get(id) ?? []).reverse().join(", ")}],`);
  out.close(`};`);
}
