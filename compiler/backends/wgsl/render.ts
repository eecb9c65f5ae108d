// LegalKernel → one WGSL compute entry point. Race-free without float atomics: every thread owns
// one target element.
// - Assigning kernels: one thread per point (distinct points write distinct elements).
// - Accumulating kernels: one thread per target element. Vars that the target index names plainly
//   (or as var + constant) are solved from the element's coordinates; the other vars are looped
//   inside the thread, with a check that the index equals the element where an axis is not plain
//   (the idea of js/edges.ts). The lanes accumulate in registers and are written once. Where the
//   index is not solvable but provably injective, one thread per point updates its element.
// - Contractions (a looped var shared by loads that vary along different target axes) are tiled
//   in workgroup memory: tile.ts.

import type { IndexVar } from "../../../ir/ops/rule.ts";
import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import type { DType } from "../../../ir/types.ts";
import { accVar } from "../../kernel.ts";
import { CodeBuilder, ExprBinder, flatIndex } from "../emit.ts";
import { WgslExpr } from "./expr.ts";
import { kernelBuffers, Typer, type LegalKernel, type Ty } from "./legalize.ts";
import { planTile, renderTiled } from "./tile.ts";

export interface RenderedKernel {
  readonly name: string;
  /** The entry point, preceded by the workgroup arrays it uses. */
  readonly code: string;
  /** Physical buffers bound, and whether the kernel writes them. */
  readonly buffers: ReadonlyMap<string, boolean>;
  /** Workgroups to dispatch along x and y. */
  readonly grid: readonly [number, number];
  readonly helpers: ReadonlySet<string>;
}

/** Threads per workgroup of untiled kernels. */
export const WORKGROUP = 64;
const MAX_GROUPS = 65535;

/** Workgroups as a 2-D grid within maxComputeWorkgroupsPerDimension; shaders linearise it. */
export function gridOf(groups: number): [number, number] {
  const x = Math.max(1, Math.min(groups, MAX_GROUPS));
  return [x, Math.ceil(groups / x)];
}

export const varName = (name: string): string => (/^acc\d+$/.test(name) ? name : `x_${name}`);
export const coord = (a: number): Sx => S.v(`@c${a}`);
export const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

export function entryHeader(out: CodeBuilder, k: LegalKernel, size: string): void {
  out.line(`// ${k.comment}`);
  out.line(`@compute @workgroup_size(${size})`);
  out.open(`fn ${k.name}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`);
}

/** Multi-index of a row-major flat offset, as i32 expressions of `flat`. */
export function unravelLets(flat: string, names: readonly string[], shape: readonly number[]): string[] {
  const strides = shape.map((_, a) => sizeOf(shape.slice(a + 1)));
  return names.map((n, a) => {
    const q = strides[a] === 1 ? flat : `${flat} / ${strides[a]}`;
    return `let ${n} = ${a === 0 ? q : `(${q}) % ${shape[a]}`};`;
  });
}

export interface Solved {
  /** Var → expression in coordinates @c0…. */
  readonly solved: Record<string, Sx>;
  readonly loops: readonly IndexVar[];
  /** Conditions for a point to update this element (checks, ranges, guard), over vars and coords. */
  readonly conds: readonly Sx[];
  /** Every target axis is a distinct var spanning it. */
  readonly plain: boolean;
}

export function solveTarget(k: LegalKernel): Solved {
  const extent = new Map(k.vars.map((iv) => [iv.name, iv.extent]));
  const solved: Record<string, Sx> = {};
  const ranges: Sx[] = [];
  const pending: Sx[] = [];
  let plain = true;
  k.index.forEach((ix, a) => {
    const dim = k.shape[a]!;
    const c = coord(a);
    let v: string | undefined, off = 0;
    if (ix.k === "var") v = ix.name;
    else if (ix.k === "bin" && ix.op === "add" && ix.a.k === "var" && ix.b.k === "const" && Number.isInteger(ix.b.v)) [v, off] = [ix.a.name, ix.b.v];
    else if (ix.k === "bin" && ix.op === "add" && ix.b.k === "var" && ix.a.k === "const" && Number.isInteger(ix.a.v)) [v, off] = [ix.b.name, ix.a.v];
    const e = v === undefined ? undefined : extent.get(v);
    if (v !== undefined && e !== undefined && !(v in solved)) {
      solved[v] = off === 0 ? c : S.sub(c, off);
      if (off !== 0) ranges.push(S.ge(c, off));
      if (off !== 0 || e < dim) ranges.push(S.lt(c, e + off));
      if (off !== 0 || e !== dim) plain = false;
      return;
    }
    plain = false;
    if (ix.k === "const" && ix.v === 0 && dim === 1) return;
    pending.push(S.eq(ix, c));
  });
  const sub = (x: Sx) => S.substitute(x, solved);
  const conds = [...ranges, ...pending.map(sub), ...(k.guard ? [sub(k.guard)] : [])];
  return { solved, loops: k.vars.filter((iv) => !(iv.name in solved)), conds, plain };
}

export const allOf = (xs: readonly Sx[]): Sx | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => S.and(a, b)));

export interface KernelCtx {
  readonly dtypeOf: (buffer: string) => DType;
}

export function renderKernel(k: LegalKernel, ctx: KernelCtx): RenderedKernel {
  if (!k.accumulates) return renderPerPoint(k, ctx);
  const tile = planTile(k, ctx);
  if (tile) return renderTiled(k, tile, ctx);
  // Where every point has its own element (an index through a flat offset), a thread per point
  // updates that element in place, instead of each element's thread looping over all points.
  if (solveTarget(k).loops.length > 0 && injective(k)) return renderPerPoint(k, ctx);
  return renderPerElement(k, ctx);
}

/** Points evaluated at compile time, at most this many. */
const MAX_CHECKED_POINTS = 1 << 22;

/** Whether distinct points update distinct elements: checked by evaluating a load-free index. */
export function injective(k: LegalKernel): boolean {
  const extents = k.vars.map((iv) => iv.extent);
  const points = sizeOf(extents);
  if (points > MAX_CHECKED_POINTS || points > sizeOf(k.shape) || k.index.some((ix) => S.loadsOf(ix).length > 0)) return false;
  const flat = flatIndex(k.index, k.shape);
  const seen = new Uint8Array(sizeOf(k.shape));
  const vars: Record<string, number> = {};
  const env = { vars, load: () => NaN };
  for (let p = 0; p < points; p++) {
    let rest = p;
    for (let a = extents.length - 1; a >= 0; a--) {
      vars[k.vars[a]!.name] = rest % extents[a]!;
      rest = Math.floor(rest / extents[a]!);
    }
    const at = S.evaluate(flat, env);
    if (!(at >= 0 && at < seen.length) || seen[at]) return false;
    seen[at] = 1;
  }
  return true;
}

/** Expression renderer of a kernel; `special` spells and types vars other than index vars and acc…. */
export function makeExpr(k: LegalKernel, ctx: KernelCtx, special: (name: string) => { code: string; ty: Ty } | undefined = () => undefined) {
  const accs = new Set(k.targets.map((_, l) => accVar(l)));
  const typer = new Typer(ctx.dtypeOf, (n) => special(n)?.ty ?? (accs.has(n) ? "f32" : "i32"));
  return new WgslExpr(typer, (n) => special(n)?.code ?? (n.startsWith("@") ? n.slice(1) : varName(n)));
}

/** Emits the temporaries the binder places at depth d. */
export function emitTemps(out: CodeBuilder, binder: ExprBinder, expr: WgslExpr, d: number, temps: { n: number }): void {
  for (const x of binder.boundAt(d)) out.line(expr.bind(x, `t${temps.n++}`));
}

/**
 * New lane values computed from the old (all read before any is written), then stored by `store`.
 * Values are f32 except where an assigning kernel moves integers (ids).
 */
export function emitUpdate(out: CodeBuilder, expr: WgslExpr, update: readonly Sx[], store: (l: number, v: string) => string, ty: (l: number) => Ty = () => "f32"): void {
  update.forEach((u, l) => out.line(`let n${l} = ${expr.code(u, ty(l))};`));
  update.forEach((_, l) => out.line(store(l, `n${l}`)));
}

function finish(out: CodeBuilder, k: LegalKernel, expr: WgslExpr, threads: number): RenderedKernel {
  return { name: k.name, code: out.toString(), buffers: kernelBuffers(k), grid: gridOf(Math.ceil(threads / WORKGROUP)), helpers: expr.helpers };
}

function threadId(out: CodeBuilder, threads: number): void {
  const gx = gridOf(Math.ceil(threads / WORKGROUP))[0];
  out.line(`let gid = i32((wid.y * ${gx}u + wid.x) * ${WORKGROUP}u + lid);`);
  out.line(`if (gid >= ${threads}) { return; }`);
}

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
  const target = flatIndex(k.index, k.shape);
  const inPlace = Object.fromEntries(k.targets.map((t, l) => [accVar(l), S.load(t.buffer, [S.add(target, t.offset)])]));
  const update = k.update.map((u) => S.substitute(u, inPlace));
  const roots = [target, ...update, ...(k.guard ? [k.guard] : [])];
  const binder = new ExprBinder(roots, () => 0, 0);
  const temps = { n: 0 };
  emitTemps(out, binder, expr, 0, temps);
  if (k.guard) out.open(`if (${expr.code(k.guard, "bool")}) {`);
  const at = expr.code(target, "i32");
  const ty = (l: number): Ty => (ctx.dtypeOf(k.targets[l]!.buffer) === "i32" ? "i32" : "f32");
  emitUpdate(out, expr, update, (l, v) => `${k.targets[l]!.buffer}[${offsetBy(at, k.targets[l]!.offset)}] = ${v};`, ty);
  if (k.guard) out.close();
  out.close();
  return finish(out, k, expr, threads);
}

export const offsetBy = (at: string, off: number) => (off === 0 ? at : `${at} + ${off}`);

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
  const at = (l: number) => `${k.targets[l]!.buffer}[${offsetBy("gid", k.targets[l]!.offset)}]`;
  k.targets.forEach((_, l) => out.line(`var ${accVar(l)}: f32 = ${at(l)};`));
  loops.forEach((iv, d) => {
    const v = varName(iv.name);
    out.open(`for (var ${v}: i32 = 0; ${v} < ${iv.extent}; ${v}++) {`);
    emitTemps(out, binder, expr, d + 1, temps);
  });
  if (late) out.open(`if (${expr.code(late, "bool")}) {`);
  emitTemps(out, binder, expr, inner, temps);
  emitUpdate(out, expr, update, (l, v) => `${accVar(l)} = ${v};`);
  if (late) out.close();
  for (let d = 0; d < n; d++) out.close();
  k.targets.forEach((_, l) => out.line(`${at(l)} = ${accVar(l)};`));
  out.close();
  return finish(out, k, expr, threads);
}
