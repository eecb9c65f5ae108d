// How WGSL spells what differs between targets, for every kernel form (render.ts, tile.ts):
// threads and workgroups, loops, lane accumulators, buffer elements, typed temporaries. The kernel
// itself arrives legalized (compiler/kernels/legalize.ts); this file only writes it down.

import type { Sx } from "../../../ir/scalar.ts";
import type { DType } from "../../../ir/types.ts";
import { accVar } from "../../kernel.ts";
import { kernelBuffers, type LegalKernel, type Place } from "../../kernels/legalize.ts";
import type { CodeBuilder, ExprBinder } from "../emit.ts";
import { WgslExpr } from "./expr.ts";
import { Typer, type Ty } from "./types.ts";

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

export interface KernelCtx {
  readonly dtypeOf: (buffer: string) => DType;
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

/** The spelling table: one entry per construct a kernel form writes. */
export const wgslSpelling = {
  loop: (v: string, extent: number) => `for (var ${v}: i32 = 0; ${v} < ${extent}; ${v}++) {`,
  /** One lane's element at flat offset `at` of the lane. */
  element: (p: Place, at: string) => `${p.buffer}[${at}${p.offset === 0 ? "" : ` + ${p.offset}`}]`,
  acc: (l: number, init: string) => `var ${accVar(l)}: f32 = ${init};`,
  temp: (n: number) => `t${n}`,
  /** New lane values, all computed before any is stored. */
  newLane: (l: number, code: string) => `let n${l} = ${code};`,
} as const;

export function entryHeader(out: CodeBuilder, k: LegalKernel, size: string): void {
  out.line(`// ${k.comment}`);
  out.line(`@compute @workgroup_size(${size})`);
  out.open(`fn ${k.name}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`);
}

/** Multi-index of a row-major flat offset, as i32 expressions of `flat`. */
export function unravelLets(flat: string, names: readonly string[], shape: readonly number[]): string[] {
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, d) => p * d, 1));
  return names.map((n, a) => {
    const q = strides[a] === 1 ? flat : `${flat} / ${strides[a]}`;
    return `let ${n} = ${a === 0 ? q : `(${q}) % ${shape[a]}`};`;
  });
}

/** The flat thread id, and an early return for threads past the last. */
export function threadId(out: CodeBuilder, threads: number): void {
  const gx = gridOf(Math.ceil(threads / WORKGROUP))[0];
  out.line(`let gid = i32((wid.y * ${gx}u + wid.x) * ${WORKGROUP}u + lid);`);
  out.line(`if (gid >= ${threads}) { return; }`);
}

/** Expression renderer of a kernel; `special` spells and types vars other than index vars and acc…. */
export function makeExpr(k: LegalKernel, ctx: KernelCtx, special: (name: string) => { code: string; ty: Ty } | undefined = () => undefined) {
  const accs = new Set(k.targets.map((_, l) => accVar(l)));
  const typer = new Typer(ctx.dtypeOf, (n) => special(n)?.ty ?? (accs.has(n) ? "f32" : "i32"));
  return new WgslExpr(typer, (n) => special(n)?.code ?? (n.startsWith("@") ? n.slice(1) : varName(n)));
}

/** Emits the temporaries the binder places at depth d, numbered within the kernel. */
export function emitTemps(out: CodeBuilder, binder: ExprBinder, expr: WgslExpr, d: number, temps: { n: number }): void {
  for (const x of binder.boundAt(d)) out.line(expr.bind(x, wgslSpelling.temp(temps.n++)));
}

/**
 * New lane values computed from the old (all read before any is written), then stored by `store`.
 * Values are f32 except where an assigning kernel moves integers (ids).
 */
export function emitUpdate(out: CodeBuilder, expr: WgslExpr, update: readonly Sx[], store: (l: number, v: string) => string, ty: (l: number) => Ty = () => "f32"): void {
  update.forEach((u, l) => out.line(wgslSpelling.newLane(l, expr.code(u, ty(l)))));
  update.forEach((_, l) => out.line(store(l, `n${l}`)));
}

export function finish(out: CodeBuilder, k: LegalKernel, expr: WgslExpr, grid: readonly [number, number]): RenderedKernel {
  return { name: k.name, code: out.toString(), buffers: kernelBuffers(k), grid, helpers: expr.helpers };
}
