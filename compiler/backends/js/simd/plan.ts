// A kernel's plan: which variable runs lane-parallel and in which form (map: one target element per
// lane; reduce: lanes hold partial results of a reduced variable; sep: separable sums; lse: declared
// log-sum-exp sums), the loop levels around it, and the unrolled instances (a register tile).
// Everything is read off the kernel's structure; a semiring's declared traits enter only as
// `opts.backward.traits` (log-sum-exp). A vector variable whose extent is no multiple of the lane count
// covers its largest multiple; the rest is a tail kernel for the JS loops.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import { accVar, type Kernel } from "../../../kernel.ts";
import { flatIndex } from "../../emit.ts";
import { keyOf, linearize, mentions, varsOf } from "./linearForms.ts";
import { prepareKernel } from "./prepare.ts";
import { combineOp, lseProducts, lseTerms, type Monomial, separate } from "./reductions.ts";
import type { KernelOptions, LoopLevel, VectorPlan, WasmLayout } from "./types.ts";

/** Vector accumulators a tile may keep in registers. */
const ACC_BUDGET = 8;
/**
 * Bytes a one-row contraction may read per pass over its reduction and keep its accumulators in
 * registers. Beyond, each block of v re-reads rows strided by the row length from memory (BERT's
 * tied head: 30522 × 512 f32, 62 MB, once per 16 lanes); the reduction runs outermost instead and
 * reads the weights once, in order, its accumulators the target itself (bench/contraction.ts
 * --rows 1: 10.4 → 4.4 ms for maxprod at 30522 × 512; at 2048 × 512 the register form is as fast).
 * Not log-sum-exp sums: their scaled sums need the whole reduction inside the accumulators.
 */
const STREAM_BYTES = 8 << 20;

/** Kernel k restricted to v ≥ from (v renumbered from 0). */
export function tailKernel(k: Kernel, v: string, from: number): Kernel {
  const shift = (x: Sx) => S.substitute(x, { [v]: S.add(S.v(v), from) });
  return {
    ...k,
    comment: `${k.comment} (${v} from ${from})`,
    vars: k.vars.map((iv) => (iv.name === v ? { ...iv, extent: iv.extent - from } : iv)),
    ...(k.guard ? { guard: shift(k.guard) } : {}),
    index: k.index.map(shift),
    update: k.update.map(shift),
  };
}

/** What planning asks of the compiler: lanes, layout, and (optionally) its constant caches. */
export interface PlanTarget {
  readonly L: number;
  readonly VX: string;
  readonly layout: WasmLayout;
  unfold?(x: Sx): Sx | undefined;
  cacheOf?(x: Sx, k: Kernel): Sx | undefined;
}

/** The plan of kernel `k`, or null when it stays a JS loop (guards, scatters, no vector-wide variable). */
export function planKernel(k: Kernel, opts: KernelOptions, target: PlanTarget): VectorPlan | null {
  if (k.guard) return null;
  const L = target.L;
  const { unit } = prepareKernel(k, (b) => target.layout.shapeOf(b));
  const vars = k.vars.filter((iv) => iv.extent > 1);
  if (vars.length === 0) return null;
  const ext = new Map(vars.map((iv) => [iv.name, iv.extent]));
  // Target: its flat index must be linear in the loop variables and one-to-one (mixed radix), so
  // distinct points of the target variables write distinct elements (reshape's floor terms cancel).
  const tshape = target.layout.shapeOf(k.targets[0]!);
  const tlin = linearize(S.substitute(flatIndex(k.index, tshape), unit));
  const tcoef = new Map<string, number>();
  for (const t of tlin.terms.values()) {
    if (t.atom.k !== "var" || !ext.has(t.atom.name) || t.coef <= 0) return null;
    tcoef.set(t.atom.name, t.coef);
  }
  const tvars = vars.map((iv) => iv.name).filter((n) => tcoef.has(n));
  let span = 0;
  for (const n of [...tvars].sort((a, b) => tcoef.get(a)! - tcoef.get(b)!)) {
    if (tcoef.get(n)! <= span) return null;
    span += tcoef.get(n)! * (ext.get(n)! - 1);
  }
  const lastAxisVar = tvars.find((n) => tcoef.get(n) === 1);
  const red = vars.map((iv) => iv.name).filter((n) => !tvars.includes(n));
  const accs = k.targets.map((_, l) => accVar(l));
  const reads = k.update.some((u) => accs.some((a) => mentions(u, a)));
  if (!reads && red.length > 0) return null;
  const combinable = reads && k.update.every((u, l) => combineOp(u, accs[l]!) !== undefined);
  const { prep } = prepareKernel(k, (b) => target.layout.shapeOf(b));
  const body = k.update.map(prep);
  const loads = [...new Map(body.flatMap((u) => S.loadsOf(u)).map((l) => [keyOf(l), l])).values()] as Extract<Sx, { k: "load" }>[];
  const gathers = (v: string) =>
    loads.filter((l) => {
      if (target.layout.isInt(l.ref)) return mentions(l, v);
      const lin = linearize(l.index[0]!);
      const t = lin.terms.get(`$${v}`);
      const inAtoms = [...lin.terms.entries()].some(([key, t2]) => key !== `$${v}` && mentions(t2.atom, v));
      return inAtoms || (t !== undefined && t.coef !== 1);
    }).length;
  // A vector variable whose extent is not a multiple of L leaves its last points to a JS tail: the
  // map form's v is a target variable (its points write distinct elements) and the reduce form
  // accumulates with ⊕ (any split of the reduction adds up), so either may be cut along v.
  const tailOf = (n: string) => (ext.get(n)! % L === 0 ? 0 : 1);
  const vectorizable = (n: string) => ext.get(n)! >= L && (tailOf(n) === 0 || !opts.whole);
  const cands: { form: "map" | "reduce"; v: string; g: number }[] = [];
  if (lastAxisVar && vectorizable(lastAxisVar))
    cands.push({ form: "map", v: lastAxisVar, g: gathers(lastAxisVar) });
  if (combinable)
    for (const r of red) if (vectorizable(r)) cands.push({ form: "reduce", v: r, g: gathers(r) });
  if (cands.length === 0) return null;
  cands.sort((a, b) => tailOf(a.v) - tailOf(b.v) || a.g - b.g || (a.form === b.form ? 0 : a.form === "map" ? -1 : 1));
  const best = cands[0]!;
  const v = best.v;
  const vExt = ext.get(v)! - (ext.get(v)! % L);
  const tail = vExt < ext.get(v)! ? { tail: vExt } : {};
  // Tiling: target variables whose neighbours share loads.
  const reuse = (t: string) =>
    loads.filter((l) => !target.layout.isInt(l.ref) && !mentions(l, t) && mentions(l, v)).length + 0.25 * loads.filter((l) => !mentions(l, t) && !mentions(l, v)).length;
  const lanes = k.targets.length;
  const divides = (n: number, opts: number[]) => opts.find((o) => n % o === 0) ?? 1;
  const tileCands = tvars.filter((t) => t !== v && reuse(t) > 0).sort((a, b) => reuse(b) - reuse(a));
  const order = (names: string[]) => vars.map((iv) => iv.name).filter((n) => names.includes(n));
  const mkLevel = (name: string, step: number): LoopLevel => ({ name, extent: name === v ? vExt : ext.get(name)!, step, local: -1 });
  const instances: Record<string, Sx>[] = [];
  const groupOf: number[] = [];
  if (best.form === "map") {
    const t = red.length > 0 ? tileCands[0] : undefined;
    // Not ⊙-combinable but a log-sum-exp ⊕: accumulate scaled sums.
    const zeroOf = opts.backward?.zeroOf;
    const zero = zeroOf && k.targets.every((b) => zeroOf.has(b)) ? k.targets.map((b) => zeroOf.get(b)!) : undefined;
    // (on the multi-index form, so cache loads can be unfolded before flattening)
    const raw = k.update.map((u) => S.substitute(u, unit));
    const plus = opts.backward?.traits.plus;
    const sums = reads && !combinable && red.length > 0 && zero && plus ? lseTerms(raw, accs, plus, zero) : undefined;
    const lse = sums && lseProducts(sums, v, (x) => target.unfold?.(x), (x) => target.cacheOf?.(x, k));
    // Rows share vector loads; wider blocks share each row's per-point scalars. Multi-lane updates
    // carry more per-row scalar work (and registers), so they take one row and a wider block;
    // log-sum-exp sums whose every lane is a product need only s and s·P_r per row: two rows.
    const products = lse?.products?.every((p, l) => p !== undefined || l === lse.lse) ?? false;
    const maxRB = lanes > 1 ? (products ? 2 : 1) : Math.max(1, Math.floor(ACC_BUDGET / lanes));
    const RB = t ? divides(ext.get(t)!, [4, 2, 1].filter((x) => x <= maxRB)) : 1;
    const maxUB = Math.max(1, Math.floor(ACC_BUDGET / (lanes * RB)));
    const UB = red.length > 0 ? divides(vExt / L, [4, 2, 1].filter((x) => x <= maxUB)) : divides(vExt / L, [2, 1]);
    const outer = order(tvars.filter((n) => n !== v && n !== t));
    const levels = [...outer.map((n) => mkLevel(n, 1)), ...(t ? [mkLevel(t, RB)] : []), mkLevel(v, L * UB), ...order(red).map((n) => mkLevel(n, 1))];
    for (let rb = 0; rb < RB; rb++)
      for (let u = 0; u < UB; u++) {
        const env: Record<string, Sx> = {};
        if (t && rb > 0) env[t] = S.add(S.v(t), rb);
        if (u > 0) env[v] = S.add(S.v(v), u * L);
        instances.push(env);
        groupOf.push(rb);
      }
    const accLevel = outer.length + (t ? 1 : 0) + 1;
    // ⊕ = + and a separable term: per-row sums, then one pass over v.
    if (reads && red.length > 0 && body.every((u, l) => combineOp(u, accs[l]!)?.op === "add")) {
      const redSet = new Set(red);
      const lanesM = body.map((u, l) => separate(combineOp(u, accs[l]!)!.term, redSet, v));
      const deltaOk = (ms: Monomial[]) => ms.every((m) => !m.delta || ext.get(m.delta) === ext.get(v));
      if (lanesM.every((ms) => ms && deltaOk(ms) && ms.some((m) => !m.delta && m.factors.some((f) => [...varsOf(f)].some((x) => redSet.has(x)))))) {
        const sepLevels = levels.slice(0, accLevel);
        const note = `${target.VX} over ${v}, separable sums over ${order(red).join(",")} first${t && RB > 1 ? `, tile ${t}×${RB}` : ""}${UB > 1 ? `, ${v}×${UB * L}` : ""}`;
        return { form: "sep", sep: { lanes: lanesM as Monomial[][], red: order(red).map((n) => mkLevel(n, 1)) }, v, levels: sepLevels, instances, accLevel, groupOf, note, ...tail };
      }
    }
    const form = lse ? "lse" : "map";
    const matrix = red.length === 1 && loads.some((l) => !target.layout.isInt(l.ref) && mentions(l, v) && mentions(l, red[0]!));
    const streams = form === "map" && !t && outer.length === 0 && matrix && ext.get(red[0]!)! * vExt * (target.layout.precision === "f64" ? 8 : 4) > STREAM_BYTES;
    if (streams) levels.unshift(...levels.splice(1));
    const note = `${target.VX} over ${v}${red.length ? `, reducing ${order(red).join(",")}${lse ? " as log-sum-exp sums" : ""}` : ""}${t && RB > 1 ? `, tile ${t}×${RB}` : ""}${UB > 1 ? `, ${v}×${UB * L}` : ""}${streams ? `, ${red[0]} outermost` : ""}`;
    return { form, lse, v, levels, instances, accLevel: streams ? levels.length : accLevel, groupOf, note, ...(streams ? { streams } : {}), ...tail };
  }
  const [t1, t2] = tileCands;
  // A single tiled variable whose extent is no multiple of 4 still takes enough rows to hide the
  // accumulators' add latency: 6 or 3 before 2 and 1 (BERT's tied head, 30522 = 6 · 5087, one row:
  // 5.5 → 3.2 ms forward). With a second tiled variable, its 2 × 4 shares loads both ways.
  const T1 = t1 ? divides(ext.get(t1)!, (t2 ? [4, 2, 1] : [4, 6, 2, 3, 1]).filter((x) => x * lanes <= ACC_BUDGET)) : 1;
  const T2 = t2 ? divides(ext.get(t2)!, [4, 2, 1].filter((x) => x * T1 * lanes <= ACC_BUDGET)) : 1;
  const tiled = [t1, t2].filter((x): x is string => x !== undefined);
  const outer = order(tvars.filter((n) => !tiled.includes(n)));
  const levels = [
    ...outer.map((n) => mkLevel(n, 1)),
    ...(t1 ? [mkLevel(t1, T1)] : []),
    ...(t2 ? [mkLevel(t2, T2)] : []),
    ...order(red.filter((n) => n !== v)).map((n) => mkLevel(n, 1)),
    mkLevel(v, L),
  ];
  for (let a = 0; a < T1; a++)
    for (let b = 0; b < T2; b++) {
      const env: Record<string, Sx> = {};
      if (a > 0) env[t1!] = S.add(S.v(t1!), a);
      if (b > 0) env[t2!] = S.add(S.v(t2!), b);
      instances.push(env);
      groupOf.push(0);
    }
  const accLevel = outer.length + tiled.length;
  const tiles = [t1 && T1 > 1 ? `${t1}×${T1}` : "", t2 && T2 > 1 ? `${t2}×${T2}` : ""].filter(Boolean);
  const note = `${target.VX} reducing over ${v}${tiles.length ? `, tile ${tiles.join(" ")}` : ""}`;
  return { form: "reduce", v, levels, instances, accLevel, groupOf, note, ...tail };
}
