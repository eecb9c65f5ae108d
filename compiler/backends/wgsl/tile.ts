// Semiring contractions tiled in workgroup memory. Detected from kernel structure alone: an
// accumulating kernel whose target axes are plain vars, with a looped var r read by loads that
// vary along two different target axes p and q (A loads: p and r; B loads: q and r). A T×T
// workgroup computes a T×T block of (p, q); for each chunk of T values of r it stages the A and B
// values in workgroup arrays (one per load, so every semiring lane gets its own), then every thread
// folds the chunk from them. The fold order per element is the same as untiled.

import type { IndexVar } from "../../../ir/ops/rule.ts";
import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import { sizeOf } from "../../../ir/types.ts";
import { accVar } from "../../kernel.ts";
import type { LegalKernel } from "../../kernels/legalize.ts";
import { allOf, coord, solveTarget } from "../../kernels/space.ts";
import { CodeBuilder, ExprBinder, flatIndex } from "../emit.ts";
import type { Ty } from "./types.ts";
import { emitTemps, emitUpdate, entryHeader, finish, gridOf, makeExpr, unravelLets, varName, wgslSpelling, type KernelCtx, type RenderedKernel } from "./spell.ts";

export interface TilePlan {
  /** Target axes along workgroup y (p) and x (q). */
  readonly p: number;
  readonly q: number;
  readonly r: IndexVar;
  /** The other looped vars: uniform across the workgroup, looped around the chunks. */
  readonly outer: readonly IndexVar[];
  readonly a: readonly Sx[];
  readonly b: readonly Sx[];
  readonly size: number;
  readonly update: readonly Sx[];
  readonly guard?: Sx;
}

/** 16 KiB of workgroup memory (the default limit) over 4-byte elements. */
const WORKGROUP_BYTES = 16384;

export function planTile(k: LegalKernel, _ctx: KernelCtx): TilePlan | undefined {
  const s = solveTarget(k);
  if (!s.plain || k.shape.length < 2 || s.loops.length === 0) return undefined;
  const update = k.update.map((u) => S.substitute(u, s.solved));
  const guard = allOf(s.conds);
  const loads = new Map<string, Sx>();
  for (const root of [...update, ...(guard ? [guard] : [])])
    for (const l of S.loadsOf(root)) if (l.k === "load" && S.loadsOf(l.index[0]!).length === 0) loads.set(S.sxKey(l), l);
  let best: TilePlan | undefined;
  for (const r of s.loops)
    for (let q = k.shape.length - 1; q > 0; q--)
      for (let p = q - 1; p >= 0; p--) {
        const cp = `@c${p}`, cq = `@c${q}`;
        const a: Sx[] = [], b: Sx[] = [];
        for (const l of loads.values()) {
          const deps = S.varsOf(l);
          if (!deps.has(r.name)) continue;
          if (deps.has(cp) && !deps.has(cq)) a.push(l);
          else if (deps.has(cq) && !deps.has(cp)) b.push(l);
        }
        const n = a.length + b.length;
        if (a.length === 0 || b.length === 0 || (best && n <= best.a.length + best.b.length)) continue;
        // 16×16 tiles where both axes fill them (and the arrays fit), else 8×8: a mostly idle
        // 256-thread workgroup costs more than it saves (and SwiftShader compiles it slowly).
        const big = Math.min(k.shape[p]!, k.shape[q]!) >= 16 && n * 256 * 4 <= WORKGROUP_BYTES;
        const size = big ? 16 : n * 64 * 4 <= WORKGROUP_BYTES ? 8 : 0;
        if (size === 0) continue;
        best = { p, q, r, outer: s.loops.filter((iv) => iv !== r), a, b, size, update, ...(guard ? { guard } : {}) };
      }
  return best;
}

export function renderTiled(k: LegalKernel, t: TilePlan, ctx: KernelCtx): RenderedKernel {
  const T = t.size;
  const { p, q, r } = t;
  const [DP, DQ] = [k.shape[p]!, k.shape[q]!];
  const uAxes = k.shape.map((_, a) => a).filter((a) => a !== p && a !== q);
  const [nTP, nTQ] = [Math.ceil(DP / T), Math.ceil(DQ / T)];
  const groups = nTP * nTQ * sizeOf(uAxes.map((a) => k.shape[a]!));
  const grid = gridOf(groups);
  // Each staged load becomes a var "@sh…" read from its workgroup array.
  const tiles = [...t.a.map((l, i) => ({ l, arr: `${k.name}_a${i}`, read: `[ly * ${T} + kk]`, rAt: `r0 + lx` })),
    ...t.b.map((l, i) => ({ l, arr: `${k.name}_b${i}`, read: `[kk * ${T} + lx]`, rAt: `r0 + ly` }))];
  const special = new Map<string, { code: string; ty: Ty }>();
  const tileVar = new Map<string, string>();
  const probeExpr = makeExpr(k, ctx);
  tiles.forEach((tl, i) => {
    const ty = probeExpr.typer.ty(tl.l) === "i32" ? "i32" : "f32";
    special.set(`@sh${i}`, { code: `${tl.arr}${tl.read}`, ty });
    tileVar.set(S.sxKey(tl.l), `@sh${i}`);
  });
  const expr = makeExpr(k, ctx, (n) => special.get(n));
  const staged = (x: Sx) => S.rewrite(x, (n) => (n.k === "load" && tileVar.has(S.sxKey(n)) ? S.v(tileVar.get(S.sxKey(n))!) : undefined));
  const update = t.update.map(staged);
  const guard = t.guard ? staged(t.guard) : undefined;

  const m = t.outer.length;
  const inner = m + 2;
  const depth = new Map<string, number>(t.outer.map((iv, d) => [iv.name, d + 1]));
  const accs = new Set(k.targets.map((_, l) => accVar(l)));
  const depthOfVar = (n: string) => (accs.has(n) || n === r.name || n.startsWith("@sh") ? inner : depth.get(n) ?? 0);
  const binder = new ExprBinder([...update, ...(guard ? [guard] : [])], depthOfVar, inner);

  const out = new CodeBuilder();
  for (const tl of tiles) out.line(`var<workgroup> ${tl.arr}: array<${special.get(tileVar.get(S.sxKey(tl.l))!)!.ty}, ${T * T}>;`);
  entryHeader(out, k, `${T}, ${T}`);
  out.line(`let wg = i32(wid.y * ${grid[0]}u + wid.x);`);
  out.line(`if (wg >= ${groups}) { return; }`);
  out.line(`let ly = i32(lid) / ${T};`);
  out.line(`let lx = i32(lid) % ${T};`);
  out.line(`let c${p} = (wg / ${nTQ}) % ${nTP} * ${T} + ly;`);
  out.line(`let c${q} = wg % ${nTQ} * ${T} + lx;`);
  if (uAxes.length > 0) {
    out.line(`let u = wg / ${nTQ * nTP};`);
    out.lines(unravelLets("u", uAxes.map((a) => `c${a}`), uAxes.map((a) => k.shape[a]!)));
  }
  out.line(`let inside = c${p} < ${DP} && c${q} < ${DQ};`);
  const temps = { n: 0 };
  emitTemps(out, binder, expr, 0, temps);
  const o = expr.code(flatIndex(k.shape.map((_, a) => coord(a)), k.shape), "i32");
  const at = (l: number) => wgslSpelling.element(k.targets[l]!, o);
  k.targets.forEach((_, l) => out.line(wgslSpelling.acc(l, "0.0")));
  out.line(`if (inside) { ${k.targets.map((_, l) => `${accVar(l)} = ${at(l)};`).join(" ")} }`);
  t.outer.forEach((iv, d) => {
    out.open(wgslSpelling.loop(varName(iv.name), iv.extent));
    emitTemps(out, binder, expr, d + 1, temps);
  });
  out.open(`for (var r0: i32 = 0; r0 < ${r.extent}; r0 += ${T}) {`);
  emitTemps(out, binder, expr, m + 1, temps);
  // Out-of-range staging reads are harmless (WebGPU bounds every access) and never folded.
  for (const tl of tiles) {
    const at_ = S.substitute(tl.l, { [r.name]: S.v("@r_") });
    const e = makeExpr(k, ctx, (n) => (n === "@r_" ? { code: `(${tl.rAt})`, ty: "i32" } : undefined));
    out.line(`${tl.arr}[lid] = ${e.code(at_, special.get(tileVar.get(S.sxKey(tl.l))!)!.ty)};`);
    for (const h of e.helpers) expr.helpers.add(h);
  }
  out.line(`workgroupBarrier();`);
  out.open(`for (var kk: i32 = 0; kk < min(${T}, ${r.extent} - r0); kk++) {`);
  out.line(`let ${varName(r.name)} = r0 + kk;`);
  emitTemps(out, binder, expr, inner, temps);
  if (guard) out.open(`if (${expr.code(guard, "bool")}) {`);
  emitUpdate(out, expr, update, (l, v) => `${accVar(l)} = ${v};`);
  if (guard) out.close();
  out.close();
  out.line(`workgroupBarrier();`);
  out.close();
  for (let d = 0; d < m; d++) out.close();
  out.line(`if (inside) { ${k.targets.map((_, l) => `${at(l)} = ${accVar(l)};`).join(" ")} }`);
  out.close();
  return finish(out, k, expr, grid);
}
