// The host-side JavaScript of a generated WGSL module: per semiring the lane functions the result
// assembly needs (readout, ⊕, path ranking), and the out-edge enumerators that top-path walking
// runs over read-back forward values. Host code is JS, so it is spelled by the JS backend.

import * as S from "../../../ir/scalar.ts";
import type { Semiring } from "../../../ir/semirings/semiring.ts";
import type { BackwardPlan } from "../../backward.ts";
import { forwardBuffers } from "../../schedule.ts";
import { CodeBuilder } from "../emit.ts";
import { renderOutEdges, tensorName } from "../js/edges.ts";
import { JsExpr } from "../js/render.ts";
import { jsHelpers } from "../js/scalar.ts";
import { liftReadsWeight } from "../moduleSpecs.ts";

const json = (x: unknown) => JSON.stringify(x);
export { tensorName };

/** `(a0, a1, …) => [lane expressions]`; the JS helpers they call go into `helpers`. */
function laneFn(params: readonly string[], exprs: readonly S.Sx[], helpers: Set<string>): string {
  const js = new JsExpr((n) => n);
  const body = exprs.map((e) => js.num(e));
  for (const h of js.helpers) helpers.add(h);
  return `(${params.join(", ")}) => [${body.join(", ")}]`;
}

function semiringHost(sr: Semiring, helpers: Set<string>): string {
  const xs = sr.lanes.map((_, l) => S.v(`x${l}`)), ys = sr.lanes.map((_, l) => S.v(`y${l}`));
  const px = xs.map((x) => S.showSx(x)), py = ys.map((y) => S.showSx(y));
  const path = sr.traits.path;
  let paths = "null";
  if (path) {
    const sources = path.lanes.map((_, l) => [path.sources(l, true), path.sources(l, false)]);
    const js = new JsExpr((n) => n);
    const extend = js.num(path.extend(S.v("w"), S.v("v")));
    for (const h of js.helpers) helpers.add(h);
    paths = `{ sense: ${json(path.lanes.map((p) => p.sense))}, rank: ${json(path.lanes.map((p) => p.rank))}, sources: ${json(sources)}, extend: (w, v) => ${extend} }`;
  }
  return [
    `{`,
    `    lanes: ${json(sr.lanes)},`,
    `    zero: [${sr.zero.map((z) => S.showSx(S.c(z))).join(", ")}],`,
    `    readout: ${laneFn(px, sr.readout(xs), helpers)},`,
    `    plus: ${laneFn([...px, ...py], sr.plus(xs, ys), helpers)},`,
    `    paths: ${paths},`,
    `    weighted: ${json(liftReadsWeight(sr))},`,
    `  }`,
  ].join("\n");
}

/**
 * `const host = {...}`: lane functions per semiring and, where a semiring walks paths, out-edges
 * and the walk; with the JS helpers (erf…) the lane functions call.
 */
export function hostSource(plan: BackwardPlan, semirings: readonly Semiring[]): { readonly code: string; readonly helpers: ReadonlySet<string> } {
  const g = plan.graph;
  const helpers = new Set<string>();
  const paths = semirings.some((s) => s.traits.path);
  const out = new CodeBuilder();
  out.line(`// Out-edges of one element, for walking top paths: visit(output element, edge weight).`);
  out.open(`function outEdges(vals) {`);
  if (paths) {
    // Edge weights are op formulas that may call any helper (gelu's erf).
    for (const h of Object.keys(jsHelpers)) helpers.add(h);
    for (const b of forwardBuffers(g)) out.line(`const ${b.name} = vals[${json(b.name)}];`);
    renderOutEdges(plan, out, `return {`);
  } else out.line(`return {};`);
  out.close();
  out.line();
  out.open(`const host = {`);
  out.line(`outEdges,`);
  out.line(`walk: ${paths ? "topPaths" : "null"},`);
  out.open(`semirings: {`);
  for (const sr of semirings) out.line(`${json(sr.name)}: ${semiringHost(sr, helpers)},`);
  out.close(`},`);
  out.close(`};`);
  return { code: out.toString(), helpers };
}
