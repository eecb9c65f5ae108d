// Per-row work before the reduction loops: a leave-one-out row's prefix and suffix ⊕
// (simd/leaveOneOut.ts), separable sums (Σ over the reduction of each monomial's
// reduction factors), or a log-sum-exp row's reference M = max(B over the reduction, L_old over the
// row), its scale factors s = e^(B − M) and the products' scaled terms s·P_r in scratch, and whether
// some finite B lies too far below M for the scaling (simd/lseFallback.ts).

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import type { Emission } from "./emission.ts";
import { leaveOneOutPass } from "./leaveOneOut.ts";
import { LSE_LIMITS, loops, lowName, wideName } from "./lseFallback.ts";
import { SCRATCH, type LoopLevel } from "./types.ts";

function loopsOver(em: Emission, lvs: readonly LoopLevel[], inner: () => void): void {
  const { f } = em.e;
  if (lvs.length === 0) return inner();
  const [lv, ...rest] = lvs;
  f.i32(0).set(lv!.local);
  f.open("loop");
  loopsOver(em, rest, inner);
  f.get(lv!.local).i32(lv!.step).op("i32.add").tee(lv!.local).i32(lv!.extent).op("i32.lt_s").br("br_if", 0);
  f.end();
}

/** sep: per row group, the sums over the reduction of each monomial's reduction factors. */
function sepPass(em: Emission): void {
  const { e } = em;
  const { f, plan, F } = e;
  const sep = plan.sep!;
  for (const g of em.groups) {
    const env = { ...plan.instances[em.inst.findIndex((it) => it.group === g)]! };
    delete env[e.v];
    sep.lanes.forEach((monos, l) =>
      monos.forEach((mono, m) => {
        if (mono.delta) return;
        const pr = mono.factors.filter((x) => em.hasRed(x)).reduce<Sx>((a, x) => S.mul(a, x), S.c(1));
        const local = e.scalarLocal.get(em.sumName(l, m, g))!.local;
        f.float(F, 0);
        f.set(local);
        loopsOver(em, sep.red, () => {
          f.get(local);
          e.use(e.num(S.substitute(pr, env)));
          f.op(e.fop("add")).set(local);
        });
      }),
    );
  }
}

/** The row's pre-pass, if its form has one. */
export function prePass(em: Emission): void {
  const { e } = em;
  const { f, plan, F, n } = e;
  if (plan.sep) return sepPass(em);
  if (plan.loo) return leaveOneOutPass(em);
  const lse = plan.lse;
  if (!lse) return;
  const vLevel = plan.accLevel - 1;
  for (const g of em.groups) {
    const i = em.inst.findIndex((it) => it.group === g);
    const env = { ...plan.instances[i]! };
    delete env[e.v];
    const B = em.lseParts(env).B;
    const M = f.local(F);
    e.scalarLocal.set(em.Mname(g), { local: M, depth: plan.accLevel - 1 });
    f.float(F, -Infinity);
    f.set(M);
    // and the smallest finite B: beyond LSE_LIMITS' range from M, the row's blocks take the exact form.
    const low = f.local(F);
    e.scalarLocal.set(lowName(g), { local: low, depth: plan.accLevel - 1 });
    f.float(F, Infinity);
    f.set(low);
    loops(em, plan.accLevel, n, () => 1, () => {
      f.get(M);
      e.use(e.num(B));
      f.op(e.fop("max")).set(M);
      f.get(low);
      e.use(e.num(S.select(S.isNegInf(B), Infinity, B)));
      f.op(e.fop("min")).set(low);
    });
    const row = f.local("v128");
    f.v128f32([0, 0, 0, 0]).set(row);
    if (F === "f32") f.v128f32([-Infinity, -Infinity, -Infinity, -Infinity]).set(row);
    else f.v128f64([-Infinity, -Infinity]).set(row);
    loops(em, vLevel, vLevel + 1, () => e.L, () => {
      f.get(row);
      e.use(e.vec(e.num(em.oldLane(lse.lse, i))));
      f.simd(e.vop("pmax")).set(row);
    });
    for (let ln = 0; ln < e.L; ln++) {
      f.get(M).get(row).lane(e.vop("extract_lane"), ln).op(e.fop("max")).set(M);
    }
    // No path at all: any finite reference.
    f.get(M);
    f.float(F, -Infinity);
    f.op(e.fop("eq")).open("if");
    f.float(F, 0);
    f.set(M).end();
    const wide = f.local(F);
    e.scalarLocal.set(wideName(g), { local: wide, depth: plan.accLevel - 1 });
    e.use(e.num(S.select(S.gt(S.sub(S.v(em.Mname(g)), S.v(lowName(g))), LSE_LIMITS[F].range), 1, 0)));
    f.set(wide);
    loops(em, plan.accLevel, n, () => 1, () => {
      const a = e.scalarAddr(SCRATCH, S.add(em.redFlat, g * em.redSize), em.es);
      e.use(a.base);
      e.use(e.num(S.exp(S.sub(B, S.v(em.Mname(g))))));
      f.mem(e.fop("store"), a.offset);
    });
    // The products' per-row terms, scaled: s·P_r (0 where s is: no path through that point).
    lse.products?.forEach((prod, l) => {
      if (!prod) return;
      const perRow = em.prep(S.substitute(prod.perRow, env));
      loops(em, plan.accLevel, n, () => 1, () => {
        const dst = e.scalarAddr(SCRATCH, em.scaledRowIndex(l, g), em.es);
        e.use(dst.base);
        const s = em.scaleOf(g);
        e.use(e.num(S.select(S.eq(s, 0), 0, S.mul(s, perRow))));
        f.mem(e.fop("store"), dst.offset);
      });
    });
  }
}
