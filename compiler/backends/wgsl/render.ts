// LegalKernel → one WGSL compute entry point. Race-free without float atomics: every thread owns
// one target element.
// - Assigning kernels: one thread per point (distinct points write distinct elements).
// - Accumulating kernels: one thread per target element. Vars that the target index names plainly
//   are solved from the element's coordinates, the others looped inside the thread
//   (compiler/kernels/space.ts). The lanes accumulate in registers and are written once. Where the
//   index is not solvable but provably injective, one thread per point updates its element.
// - Contractions (a looped var shared by loads that vary along different target axes) are tiled
//   in workgroup memory: tile.ts.
// How each construct is spelled is spell.ts.

import * as S from "../../../ir/scalar.ts";
import { sizeOf } from "../../../ir/types.ts";
import { accVar } from "../../kernel.ts";
import type { LegalKernel } from "../../kernels/legalize.ts";
import { allOf, injective, solveTarget } from "../../kernels/space.ts";
import { CodeBuilder, ExprBinder } from "../emit.ts";
import type { Ty } from "./types.ts";
import {
  emitTemps, emitUpdate, entryHeader, finish, gridOf, makeExpr, threadId, unravelLets, varName, wgslSpelling, WORKGROUP,
  type KernelCtx, type RenderedKernel,
} from "./spell.ts";
import { planTile, renderTiled } from "./tile.ts";

export type { KernelCtx, RenderedKernel } from "./spell.ts";

export function renderKernel(k: LegalKernel, ctx: KernelCtx): RenderedKernel {
  if (!k.accumulates) return renderPerPoint(k, ctx);
  const tile = planTile(k, ctx);
  if (tile) return renderTiled(k, tile, ctx);
  // Where every point has its own element (an index through a flat offset), a thread per point
  // updates that element in place, instead of each element's thread looping over all points.
  if (solveTarget(k).loops.length > 0 && injective(k)) return renderPerPoint(k, ctx);
  return renderPerElement(k, ctx);
}

const gridFor = (threads: number) => gridOf(Math.ceil(threads / WORKGROUP));

/**
 * Thread = point; vars decoded from the thread id. Assigning kernels, and accumulating ones whose
 * points hit distinct elements: those read their element in place of acc….
 */
function renderPerPoint(k: LegalKernel, ctx: KernelCtx): RenderedKernel {
  const threads = sizeOf(k.vars.map((iv) => iv.extent));
  const out = new CodeBuilder();
  const expr = makeExpr(k, ctx);
  entryHeader(out, k, `${WORKGROUP}`);
  threadId(out, threads);
  out.lines(unravelLets("gid", k.vars.map((iv) => varName(iv.name)), k.vars.map((iv) => iv.extent)));
  const inPlace = Object.fromEntries(k.targets.map((t, l) => [accVar(l), S.load(t.buffer, [S.add(k.target, t.offset)])]));
  const update = k.update.map((u) => S.substitute(u, inPlace));
  const roots = [k.target, ...update, ...(k.guard ? [k.guard] : [])];
  const binder = new ExprBinder(roots, () => 0, 0);
  const temps = { n: 0 };
  emitTemps(out, binder, expr, 0, temps);
  if (k.guard) out.open(`if (${expr.code(k.guard, "bool")}) {`);
  const at = expr.code(k.target, "i32");
  const ty = (l: number): Ty => (ctx.dtypeOf(k.targets[l]!.buffer) === "i32" ? "i32" : "f32");
  emitUpdate(out, expr, update, (l, v) => `${wgslSpelling.element(k.targets[l]!, at)} = ${v};`, ty);
  if (k.guard) out.close();
  out.close();
  return finish(out, k, expr, gridFor(threads));
}

/** Accumulating kernel: thread = target element; unsolved vars looped. */
function renderPerElement(k: LegalKernel, ctx: KernelCtx): RenderedKernel {
  const threads = sizeOf(k.shape);
  const { solved, loops, conds } = solveTarget(k);
  const out = new CodeBuilder();
  const expr = makeExpr(k, ctx);
  entryHeader(out, k, `${WORKGROUP}`);
  threadId(out, threads);
  out.lines(unravelLets("gid", k.shape.map((_, a) => `c${a}`), k.shape));
  const n = loops.length;
  const depth = new Map(loops.map((iv, d) => [iv.name, d + 1]));
  const accs = new Set(k.targets.map((_, l) => accVar(l)));
  // The update is one level below the innermost loop: what reads acc… is computed there.
  const inner = n + 1;
  const depthOfVar = (name: string) => (accs.has(name) ? inner : depth.get(name) ?? 0);
  const update = k.update.map((u) => S.substitute(u, solved));
  // Conditions on the element alone end the thread early; the rest are tested per point.
  const probe = new ExprBinder(conds, depthOfVar, inner);
  const early = conds.filter((c) => probe.depthOf(c) === 0);
  const late = allOf(conds.filter((c) => probe.depthOf(c) > 0));
  const earlyCond = allOf(early);
  const binder = new ExprBinder([...(earlyCond ? [earlyCond] : []), ...update, ...(late ? [late] : [])], depthOfVar, inner);
  const temps = { n: 0 };
  emitTemps(out, binder, expr, 0, temps);
  if (earlyCond) out.line(`if (!${expr.code(earlyCond, "bool")}) { return; }`);
  const at = (l: number) => wgslSpelling.element(k.targets[l]!, "gid");
  k.targets.forEach((_, l) => out.line(wgslSpelling.acc(l, at(l))));
  loops.forEach((iv, d) => {
    out.open(wgslSpelling.loop(varName(iv.name), iv.extent));
    emitTemps(out, binder, expr, d + 1, temps);
  });
  if (late) out.open(`if (${expr.code(late, "bool")}) {`);
  emitTemps(out, binder, expr, inner, temps);
  emitUpdate(out, expr, update, (l, v) => `${accVar(l)} = ${v};`);
  if (late) out.close();
  for (let d = 0; d < n; d++) out.close();
  k.targets.forEach((_, l) => out.line(`${at(l)} = ${accVar(l)};`));
  out.close();
  return finish(out, k, expr, gridFor(threads));
}
