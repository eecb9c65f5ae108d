// A row's vector accumulators: set up before the reduction loops (the reduce form's ⊙ identity, the
// map form's current target values, log-sum-exp sums started from the target's value) and stored
// after them (across lanes for the reduce form; L = M + log Z, e = R/Z for log-sum-exp sums).

import * as S from "../../../../ir/scalar.ts";
import type { Emission } from "./emission.ts";
import { exactIfNeeded, refName } from "./lseFallback.ts";

const identity = { add: 0, max: -Infinity, min: Infinity };

export function initAccs(em: Emission): void {
  const { e, accs } = em;
  const { f, plan } = e;
  const lse = plan.lse;
  if (lse) {
    // Z = e^(L_old − M), R = Z·e_old: the target's value is the first term.
    em.inst.forEach((it, i) => {
      const M = S.v(em.Mname(it.group));
      e.use(e.vec(e.num(S.exp(S.sub(em.oldLane(lse.lse, i), M)))));
      const z = it.accLocals[lse.lse]!;
      f.set(z);
      const Z = S.v(`@${accs[lse.lse]}_${i}`);
      it.accLocals.forEach((acc, l) => {
        if (l === lse.lse) return;
        e.use(e.vec(e.num(S.select(S.eq(Z, 0), 0, S.mul(Z, em.oldLane(l, i))))));
        f.set(acc);
      });
    });
    return;
  }
  for (const it of em.inst)
    it.accLocals.forEach((acc, l) => {
      if (plan.form === "reduce") {
        const id = identity[em.ops[l]!];
        if (e.F === "f32") f.v128f32([id, id, id, id]);
        else f.v128f64([id, id]);
      } else {
        e.use(it.addrs[l]!.base);
        f.mem("v128.load", it.addrs[l]!.offset);
      }
      f.set(acc);
    });
}

export function storeAccs(em: Emission): void {
  const { e, accs, k } = em;
  const { f, plan } = e;
  const lse = plan.lse;
  if (lse) {
    // L = M + log Z, e = R/Z (M: the row's, or the block's exact form's); Z = 0 (no path): 0̄.
    em.inst.forEach((it, i) => {
      exactIfNeeded(em, i);
      const Z = S.v(`@${accs[lse.lse]}_${i}`);
      const values = accs.map((_, l) => {
        if (l === lse.lse) return S.add(S.v(refName(i)), S.log(Z));
        return S.select(S.eq(Z, 0), em.opts.backward!.zeroOf.get(k.targets[l]!)!, S.div(S.v(`@${accs[l]}_${i}`), Z));
      });
      const nodes = values.map((x) => e.vec(e.num(x)));
      const tmps = nodes.map((nd) => {
        const t = f.local("v128");
        e.use(nd);
        f.set(t);
        return t;
      });
      it.addrs.forEach((a, l) => {
        e.use(a.base);
        f.get(tmps[l]!).mem("v128.store", a.offset);
      });
    });
    return;
  }
  for (const it of em.inst)
    it.accLocals.forEach((acc, l) => {
      const a = it.addrs[l]!;
      e.use(a.base);
      if (plan.form === "map") {
        f.get(acc).mem("v128.store", a.offset);
        return;
      }
      // Across lanes, then into the target element.
      e.use(a.base);
      f.mem(e.fop("load"), a.offset);
      for (let ln = 0; ln < e.L; ln++) {
        f.get(acc).lane(e.vop("extract_lane"), ln);
        f.op(e.fop(em.ops[l]!));
      }
      f.mem(e.fop("store"), a.offset);
    });
}
