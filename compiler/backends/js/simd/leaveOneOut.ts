// Rows whose reduction is "the diagonal, and everything else with one weight": a log-softmax row's
// Jacobian x_j → y_i has weight δij − p_j, so adj(x_j) = ⊕_i lift(δij − p_j) ⊗ a_i reads the
// reduction point i only through δ(i, j) and the adjoint a_i. By distributivity (every semiring's),
//
//   adj(x_j) = lift(1 − p_j) ⊗ a_j  ⊕  lift(−p_j) ⊗ (⊕_{i≠j} a_i),
//
// and ⊕_{i≠j} a_i = P_j ⊕ Q_j with P_j = ⊕_{i<j} a_i and Q_j = ⊕_{i>j} a_i: two scans per row,
// then O(1) per point, O(n) per row instead of O(n²). No inverse of ⊕ is needed (nothing is
// subtracted in log space), so it is exact in every semiring; the terms are only grouped
// differently, which moves a log-sum-exp or a sum by rounding. The rule reads the kernel's
// structure (the reduced variable appears only in δ and in loads of the adjoint's lanes) and the
// semiring's own ⊕, never an op or a semiring by name; the kernel's update is the backward's
// `acc ⊕ lift(w) ⊗ g`, so the rewritten update is the kernel's own update applied twice: at the
// diagonal (δ = 1, g = a_j), then off it (δ = 0, g = P_j ⊕ Q_j).

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import { accVar, type Kernel } from "../../../kernel.ts";
import type { Emission } from "./emission.ts";
import { keyOf, mentions } from "./linearForms.ts";
import type { ExprLowering } from "./lower.ts";
import type { ValueNode } from "./nodes.ts";
import { type KernelOptions, type LeaveOneOut, SCRATCH } from "./types.ts";

type Load = Extract<Sx, { k: "load" }>;

const isDelta = (x: Sx, i: string, j: string): boolean =>
  x.k === "bin" && x.op === "eq" && x.a.k === "var" && x.b.k === "var" && ((x.a.name === i && x.b.name === j) || (x.a.name === j && x.b.name === i));

/** Every `eq` of two variables in the updates, as pairs of names. */
function varEqs(xs: readonly Sx[]): [string, string][] {
  const out = new Map<string, [string, string]>();
  const visit = (x: Sx) => {
    if (x.k === "bin" && x.op === "eq" && x.a.k === "var" && x.b.k === "var") out.set(keyOf(x), [x.a.name, x.b.name]);
    for (const ch of S.children(x)) visit(ch);
  };
  xs.forEach(visit);
  return [...out.values()];
}

/** A row reduced over i whose every use of i is δ(i, j) or a load of one adjoint element at i. */
interface DiagonalRow {
  readonly iv: { readonly name: string; readonly extent: number };
  readonly j: string;
  /** The adjoint loads at point i, off the diagonal, distinct. */
  readonly loads: readonly Load[];
  /** Whether x is δ(i, j). */
  readonly isDelta: (x: Sx) => boolean;
}

/**
 * The row structure both rewrites need: one reduced variable i (extent > 1), appearing only in
 * δ(i, j) (j a target variable of the same extent) and in loads of adjoint elements (buffers of
 * `zeroOf`, not a target, not reading j).
 */
function diagonalRow(k: Kernel, zeroOf: ReadonlyMap<string, number>): DiagonalRow | undefined {
  const vars = k.vars.filter((iv) => iv.extent > 1);
  const inTarget = (name: string) => k.index.some((x) => mentions(x, name));
  const red = vars.filter((iv) => !inTarget(iv.name));
  if (red.length !== 1) return undefined;
  const iv = red[0]!;
  const i = iv.name;
  const js = [...new Set(varEqs(k.update).flatMap(([a, b]) => (a === i ? [b] : b === i ? [a] : [])))];
  const jv = vars.find((v) => v.name === js[0]);
  if (js.length !== 1 || !jv || !inTarget(jv.name) || jv.extent !== iv.extent) return undefined;
  const j = jv.name;
  const delta = (x: Sx) => isDelta(x, i, j);
  const off = k.update.map((u) => S.rewrite(u, (x) => (delta(x) ? S.c(0) : undefined)));
  const loads = [...new Map(off.flatMap((u) => S.loadsOf(u)).filter((l): l is Load => l.k === "load" && mentions(l, i)).map((l) => [keyOf(l), l])).values()];
  if (loads.length === 0) return undefined;
  for (const l of loads) if (!zeroOf.has(l.ref) || k.targets.includes(l.ref) || mentions(l, j)) return undefined;
  // All of i's uses off the diagonal are those loads.
  const keys = new Map(loads.map((l, n) => [keyOf(l), S.v(`@g${n}`)]));
  if (off.some((u) => mentions(S.rewrite(u, (x) => keys.get(keyOf(x))), i))) return undefined;
  return { iv, j, loads, isDelta: delta };
}

/**
 * Kernel k as a map over its target reading the row's prefix and suffix ⊕ from scratch, and what
 * the pre-pass computes; undefined unless the semiring gives its ⊕ and declares that 0̄ is ⊕'s
 * identity and absorbs under ⊗ (the scans start from 0̄, and skip 0̄ adjoints), and k reduces a row
 * over i with i only in δ(i, j) and in loads of every lane of one adjoint element at i.
 */
export function leaveOneOutRewrite(k: Kernel, opts: KernelOptions): { kernel: Kernel; loo: LeaveOneOut } | undefined {
  const bwd = opts.backward;
  if (!bwd?.plus || !bwd.laneOf || !bwd.traits.zeroAbsorbs || bwd.traits.plus.kind === "other" || k.guard) return undefined;
  const row = diagonalRow(k, bwd.zeroOf);
  const lanes = k.targets.length;
  if (!row || row.loads.length !== lanes) return undefined;
  const byLane: Load[] = [];
  for (const ld of row.loads) {
    const l = bwd.laneOf.get(ld.ref);
    if (l === undefined || l >= lanes || byLane[l]) return undefined;
    byLane[l] = ld;
  }
  // every lane of one element: the loads differ only in their buffer
  const pointOf = (ld: Load) => keyOf(S.load("", ld.index));
  if (byLane.length !== lanes || byLane.some((ld) => pointOf(ld) !== pointOf(byLane[0]!))) return undefined;
  const { iv, j } = row;
  const i = iv.name;
  const n = iv.extent;
  const slot = (l: number, which: 0 | 1) => (2 * l + which) * n;
  const scan = (which: 0 | 1) => byLane.map((_, l) => S.load(SCRATCH, [S.add(S.v(j), slot(l, which))]));
  const rest = bwd.plus(scan(0), scan(1));
  const accs = k.targets.map((_, l) => accVar(l));
  const withDelta = (u: Sx, d: number) => S.rewrite(u, (x) => (row.isDelta(x) ? S.c(d) : undefined));
  const diag = k.update.map((u) => S.substitute(withDelta(u, 1), { [i]: S.v(j) }));
  const restOf = new Map(byLane.map((ld, l) => [keyOf(ld), rest[l]!]));
  const off = k.update.map((u) => S.rewrite(withDelta(u, 0), (x) => restOf.get(keyOf(x))));
  const update = off.map((u) => S.substitute(u, Object.fromEntries(accs.map((a, l) => [a, diag[l]!]))));
  return {
    kernel: { ...k, vars: k.vars.filter((v) => v.name !== i), update },
    loo: { red: { name: i, extent: n, step: 1, local: -1 }, loads: byLane, zero: byLane.map((ld) => bwd.zeroOf.get(ld.ref)!), plus: bwd.plus, slot },
  };
}

/**
 * Emits the roots with every non-trivial node they share bound to a local first (the pre-pass runs
 * outside the kernel's own binding, which would otherwise re-emit a shared exp at each use), runs
 * `inner`, then forgets those locals: they hold this loop's values only.
 */
function withShared(e: ExprLowering, roots: readonly ValueNode[], inner: () => void): void {
  const uses = new Map<number, number>();
  const visit = (nd: ValueNode) => {
    if (nd.local !== undefined) return;
    const seen = uses.has(nd.id);
    uses.set(nd.id, (uses.get(nd.id) ?? 0) + 1);
    if (!seen) nd.deps.forEach(visit);
  };
  roots.forEach(visit);
  const shared = [...uses].filter(([id, c]) => c > 1 && !e.nodes[id]!.trivial).map(([id]) => e.nodes[id]!).sort((a, b) => a.id - b.id);
  for (const nd of shared) {
    nd.gen();
    nd.local = e.f.local(nd.kind === "v" || nd.kind === "m" ? "v128" : nd.kind === "f" ? e.F : "i32");
    e.f.set(nd.local);
  }
  inner();
  for (const nd of shared) nd.local = undefined;
}

/**
 * The pre-pass, per row: Q_i = ⊕_{k>i} a_k scanning down, then P_i = ⊕_{k<i} a_k scanning up, each
 * stored per lane in scratch. A 0̄ adjoint leaves the running ⊕ as it is (a ⊕ 0̄ = a), so a row with
 * one non-0̄ adjoint (one element picked) costs two passes of loads and compares.
 */
export function leaveOneOutPass(em: Emission): void {
  const { e } = em;
  const { f, F } = e;
  const loo = e.plan.loo!;
  const lv = loo.red;
  const es = e.esize();
  e.c.needScratch(2 * loo.loads.length * lv.extent * es);
  // i and the running ⊕ are deeper than any node of the main loops: nothing reading them is hoisted.
  lv.local = f.local("i32");
  e.levelOfVar.set(lv.name, lv);
  e.depthOfVar.set(lv.name, e.n + 1);
  const run = loo.loads.map((_, l) => {
    const name = `@loo_run${l}`;
    const local = f.local(F);
    e.scalarLocal.set(name, { local, depth: e.n + 1 });
    return { name, local };
  });
  const g = loo.loads.map((ld) => e.num(em.prep(ld)));
  const live = e.cond(loo.loads.map((ld, l) => S.ne(em.prep(ld), loo.zero[l]!)).reduce((a, b) => S.or(a, b)));
  const next = loo.plus(run.map((r) => S.v(r.name)), loo.loads.map((ld) => em.prep(ld))).map((x) => e.num(x));
  const tmps = next.map(() => f.local(F));
  for (const which of [1, 0] as const) {
    run.forEach((r, l) => {
      f.float(F, loo.zero[l]!);
      f.set(r.local);
    });
    f.i32(which === 1 ? lv.extent - 1 : 0).set(lv.local);
    f.open("loop");
    run.forEach((r, l) => {
      const a = e.scalarAddr(SCRATCH, S.add(S.v(lv.name), loo.slot(l, which)), es);
      e.use(a.base);
      f.get(r.local).mem(e.fop("store"), a.offset);
    });
    withShared(e, [live, ...g], () => {
      e.use(live);
      f.open("if");
      withShared(e, next, () => {
        next.forEach((x, l) => {
          e.use(x);
          f.set(tmps[l]!);
        });
      });
      run.forEach((r, l) => f.get(tmps[l]!).set(r.local));
      f.end();
    });
    if (which === 1) f.get(lv.local).i32(1).op("i32.sub").tee(lv.local).i32(0).op("i32.ge_s");
    else f.get(lv.local).i32(1).op("i32.add").tee(lv.local).i32(lv.extent).op("i32.lt_s");
    f.br("br_if", 0);
    f.end();
  }
  if (e.plan.tail !== undefined) tailPoints(em, e.plan.tail, lv.extent);
}

/**
 * The points of v past the vector loop, one by one with scalar code, here where the row's scans
 * are at hand (a JS tail would walk the full row for each). Where v is the outermost loop, threads
 * split it: the share that ends the row does them.
 */
function tailPoints(em: Emission, from: number, to: number): void {
  const { e, k } = em;
  const { f, F } = e;
  const es = e.esize();
  const guard = e.plan.accLevel === 1;
  if (guard) f.get(1).i32(e.plan.levels[0]!.extent).op("i32.ge_s").open("if");
  const tmps = k.targets.map(() => f.local(F));
  for (let t = from; t < to; t++) {
    const at = { [e.v]: S.c(t) };
    const target = S.substitute(em.target, at);
    const old = Object.fromEntries(em.accs.map((a, l) => [a, S.load(k.targets[l]!, [target])]));
    const ups = em.update.map((u) => e.num(S.substitute(S.substitute(u, at), old)));
    withShared(e, ups, () => ups.forEach((x, l) => {
      e.use(x);
      f.set(tmps[l]!);
    }));
    k.targets.forEach((b, l) => {
      const a = e.scalarAddr(b, target, es);
      e.use(a.base);
      f.get(tmps[l]!).mem(e.fop("store"), a.offset);
    });
  }
  if (guard) f.end();
}
