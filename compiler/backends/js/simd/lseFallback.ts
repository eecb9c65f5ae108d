// Where log-sum-exp sums scaled per row cannot hold a block's terms, the exact form: a reference per
// element instead of per row.
//
// The scaled sums compute Z = Σ e^A·s over the reduction with s = e^(B − M), M the row's largest B
// (and old L). They are exact to the precision's rounding when (1) every finite B lies within RANGE
// of M, so each s is a normal number (e^x underflows below about −87.3 in f32, −708 in f64; the f32x4
// exp flushes there), and (2) Z ≥ n·2^(MIN_EXP + 2·MANT) for n reduction points: then the terms that
// fall below the normal range (e^A·s subnormal, absolute error under 2^(MIN_EXP − MANT) each) move Z
// by less than 2^-MANT·Z·2^-MANT. A block failing either test is summed again with the reference
// M_v = max over the reduction of t_L (and the old L) per element: every term e^(t_L − M_v) ≤ 1 and
// the largest is 1, so Z ≥ 1 and nothing the result depends on underflows (one exp per edge, as the
// per-edge log-sum-exp form).

import * as S from "../../../../ir/scalar.ts";
import type { Emission } from "./emission.ts";
import type { LoopLevel } from "./types.ts";

/** Per precision: a safe |B − M| for a normal e^(B − M), the smallest normal exponent, mantissa bits. */
export const LSE_LIMITS = {
  f32: { range: 80, minExp: -126, mant: 24 },
  f64: { range: 700, minExp: -1022, mant: 53 },
} as const;

/** The smallest Z the scaled sums of n reduction points hold exactly (see above). */
export function lseMinZ(precision: "f32" | "f64", n: number): number {
  const { minExp, mant } = LSE_LIMITS[precision];
  return n * 2 ** (minExp + 2 * mant);
}

/** lse: the variable holding row group g's flag (1: some finite B lies beyond the range from M). */
export const wideName = (g: number): string => `@W${g}`;

/** lse: the variable holding row group g's smallest finite B (+∞: none). */
export const lowName = (g: number): string => `@low${g}`;

/** lse: the vector variable holding instance i's reference (M splatted, or the exact form's M_v). */
export const refName = (i: number): string => `@Mv_${i}`;

/** A loop over levels[from…to) of the plan (their own locals), around `inner`. */
export function loops(em: Emission, from: number, to: number, step: (lv: LoopLevel) => number, inner: () => void): void {
  const { f, plan } = em.e;
  if (from >= to) return inner();
  const lv = plan.levels[from]!;
  f.i32(0).set(lv.local);
  f.open("loop");
  loops(em, from + 1, to, step, inner);
  f.get(lv.local).i32(step(lv)).op("i32.add").tee(lv.local).i32(lv.extent).op("i32.lt_s").br("br_if", 0);
  f.end();
}

/**
 * Instance i's accumulators after the reduction: where the block fails the tests above, they are
 * summed again in the exact form and its reference is M_v; otherwise the reference is the row's M.
 */
export function exactIfNeeded(em: Emission, i: number): void {
  const { e, accs } = em;
  const { f, plan, n } = e;
  const lse = plan.lse!;
  const it = em.inst[i]!;
  const env = plan.instances[i]!;
  const ref = f.local("v128");
  e.accLocal.set(refName(i), ref);
  e.use(e.vec(e.num(S.v(em.Mname(it.group)))));
  f.set(ref);
  const Z = S.v(`@${accs[lse.lse]}_${i}`);
  // (A block with no term and no old value is 0̄ in either form.)
  const live = S.or(S.lt(S.v(lowName(it.group)), Infinity), S.gt(em.oldLane(lse.lse, i), -Infinity));
  const unsafe = S.or(S.or(S.lt(Z, lseMinZ(e.F, em.redSize)), S.eq(Z, Infinity)), S.ne(S.v(wideName(it.group)), 0));
  const fail = e.mask(e.cond(S.and(live, unsafe)));
  e.use(fail);
  f.simd("v128.any_true").open("if");
  // Nodes inside the reduction loops hold the last point's values: re-emit them inline.
  const stale = e.nodes.filter((nd) => nd.local !== undefined && nd.depth > plan.accLevel);
  const saved = stale.map((nd) => nd.local);
  for (const nd of stale) nd.local = undefined;
  const tL = em.prep(S.substitute(lse.terms[lse.lse]!, env));
  const old = (l: number) => em.oldLane(l, i);
  // M_v = max(old L, t_L over the reduction); no path at all: 0.
  e.use(e.vec(e.num(old(lse.lse))));
  f.set(ref);
  loops(em, plan.accLevel, n, () => 1, () => {
    f.get(ref);
    e.use(e.vec(e.num(tL)));
    f.simd(e.vop("pmax")).set(ref);
  });
  const M = S.v(refName(i));
  e.use(e.vec(e.num(S.select(S.isNegInf(M), 0, M))));
  f.set(ref);
  // Z = e^(old L − M_v), R = Z·old e; then Z += ω, R += ω·t_e with ω = e^(t_L − M_v).
  const z = it.accLocals[lse.lse]!;
  e.use(e.vec(e.num(S.exp(S.sub(old(lse.lse), M)))));
  f.set(z);
  it.accLocals.forEach((acc, l) => {
    if (l === lse.lse) return;
    e.use(e.vec(e.num(S.select(S.eq(Z, 0), 0, S.mul(Z, old(l))))));
    f.set(acc);
  });
  const w = f.local("v128");
  e.accLocal.set(`@w_${i}`, w);
  const omega = S.v(`@w_${i}`);
  loops(em, plan.accLevel, n, () => 1, () => {
    e.use(e.vec(e.num(S.exp(S.sub(tL, M)))));
    f.set(w);
    it.accLocals.forEach((acc, l) => {
      const term = l === lse.lse ? omega : S.select(S.eq(omega, 0), 0, S.mul(omega, em.prep(S.substitute(lse.terms[l]!, env))));
      f.get(acc);
      e.use(e.vec(e.num(term)));
      f.simd(e.vop("add")).set(acc);
    });
  });
  stale.forEach((nd, j) => (nd.local = saved[j]));
  f.end();
}
