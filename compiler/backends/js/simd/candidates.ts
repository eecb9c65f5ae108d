// Rows whose reduction is "everything but the diagonal" under an idempotent ⊕: a log-softmax row's
// Jacobian x_j → y_i has weight δij − p_j, so adj(x_j) = ⊕_i lift(δij − p_j) ⊗ a_i reads i only
// through δ(i, j) and the adjoint a_i. Off the diagonal the weight is one number per j, and a linear
// ⊗ makes each term a monotone function of one lane of a_i (the lane the weight's sign picks; a 0̄
// adjoint gives ⊕'s identity): the best term over i ≠ j is attained where some lane of a_i is at
// one of its two largest or two smallest values over the row (two, so one is left when j is the
// other). So each j needs only the diagonal term and the terms at those few points, a pass over the
// row first finding them: O(n) per row instead of O(n²). ⊕ being idempotent, a point counted twice
// (a candidate equal to j, or to another candidate) changes nothing, and every term is the kernel's
// own update at one point: the result is the one the full reduction gives, bit for bit.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import { accVar, type Kernel } from "../../../kernel.ts";
import type { Emission } from "./emission.ts";
import { keyOf, mentions } from "./linearForms.ts";
import { combineOp } from "./reductions.ts";
import type { Candidates, KernelOptions } from "./types.ts";

/** Extremes per adjoint lane: the two largest and the two smallest. */
const SLOTS = ["max1", "max2", "min1", "min2"] as const;

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

/**
 * Kernel k as a map over its target with the reduction replaced by candidate points, and what the
 * pre-pass must find; undefined unless the semiring declares ⊕ idempotent and ⊗ linear, and the
 * one reduced variable i appears only in δ(i, j) (j a target variable of the same extent) and in
 * loads of one adjoint element per point.
 */
export function candidateRewrite(k: Kernel, opts: KernelOptions): { kernel: Kernel; cand: Candidates } | undefined {
  const bwd = opts.backward;
  if (!bwd || bwd.traits.plus.kind !== "idempotent" || bwd.traits.scale !== "linear" || k.guard) return undefined;
  const accs = k.targets.map((_, l) => accVar(l));
  if (!k.update.every((u, l) => { const op = combineOp(u, accs[l]!)?.op; return op === "max" || op === "min"; })) return undefined;
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
  const off = k.update.map((u) => S.rewrite(u, (x) => (isDelta(x, i, j) ? S.c(0) : undefined)));
  const loads = [...new Map(off.flatMap((u) => S.loadsOf(u)).filter((l) => mentions(l, i)).map((l) => [keyOf(l), l])).values()];
  if (loads.length === 0 || loads.length > 4) return undefined;
  for (const l of loads) if (l.k !== "load" || !bwd.zeroOf.has(l.ref) || k.targets.includes(l.ref) || mentions(l, j)) return undefined;
  // All of i's uses off the diagonal are those loads.
  const keys = new Map(loads.map((l, n) => [keyOf(l), S.v(`@g${n}`)]));
  if (off.some((u) => mentions(S.rewrite(u, (x) => keys.get(keyOf(x))), i))) return undefined;

  const names = loads.map((_, n) => SLOTS.map((s) => `@${s}_${n}`));
  // The diagonal (δ = 1), then every candidate with the full update (δ(c, j) read as it is).
  const diag = k.update.map((u) => S.rewrite(u, (x) => (isDelta(x, i, j) ? S.c(1) : undefined)));
  const step = (ups: readonly Sx[], cur: readonly Sx[], at: Sx) => ups.map((u) => S.substitute(u, { [i]: at, ...Object.fromEntries(accs.map((a, l) => [a, cur[l]!])) }));
  let cur: Sx[] = step(diag, accs.map((a) => S.v(a)), S.v(j));
  for (const c of names.flat()) cur = step(k.update, cur, S.v(c));
  return {
    kernel: { ...k, vars: k.vars.filter((v) => v.name !== i), update: cur },
    cand: { red: { name: i, extent: iv.extent, step: 1, local: -1 }, loads, names },
  };
}

/**
 * The pre-pass: per row, the indices of each adjoint lane's two largest and two smallest values
 * (strict comparisons: the first of equal values wins; the two indices of a side always differ,
 * starting as 0 and 1).
 */
export function candidatePass(em: Emission): void {
  const { e } = em;
  const { f, F } = e;
  const cand = e.plan.cand!;
  const lv = cand.red;
  const x = f.local(F);
  const sides = cand.loads.map((_, n) =>
    [0, 2].map((s) => {
      const init = s === 0 ? -Infinity : Infinity;
      const best = f.local(F), second = f.local(F);
      for (const m of [best, second]) (F === "f32" ? f.f32(init) : f.f64(init)).set(m);
      const [p1, p2] = [cand.names[n]![s]!, cand.names[n]![s + 1]!].map((nm) => e.levelOfVar.get(nm)!.local);
      f.i32(0).set(p1!).i32(1).set(p2!);
      return { cmp: e.fop(s === 0 ? "gt" : "lt"), best, second, p1: p1!, p2: p2! };
    }),
  );
  f.i32(0).set(lv.local);
  f.open("loop");
  cand.loads.forEach((ld, n) => {
    e.use(e.num(em.prep(ld)));
    f.set(x);
    for (const { cmp, best, second, p1, p2 } of sides[n]!) {
      f.get(x).get(best).op(cmp).open("if");
      // A new best pushes the old one down, unless it is the same point (index 0, at the start).
      f.get(p1).get(lv.local).op("i32.ne").open("if").get(best).set(second).get(p1).set(p2).end();
      f.get(x).set(best).get(lv.local).set(p1);
      f.op("else");
      f.get(x).get(second).op(cmp).get(lv.local).get(p1).op("i32.ne").op("i32.and").open("if");
      f.get(x).set(second).get(lv.local).set(p2);
      f.end();
      f.end();
    }
  });
  f.get(lv.local).i32(1).op("i32.add").tee(lv.local).i32(lv.extent).op("i32.lt_s").br("br_if", 0);
  f.end();
}
