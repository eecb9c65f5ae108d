// What a row group runs conditionally: a guard that skips it (its adjoints are all 0̄, where the
// semiring declares that 0̄ absorbs; or its log-sum-exp scale is 0), and versions of its update
// (map form with a reduction loop) on its most frequent scalar select condition (e.g. "the adjoint
// is 0̄"), then on the order of a sign-select's pair.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import type { Emission } from "./emission.ts";
import { keyOf, mentions } from "./linearForms.ts";
import type { ValueNode } from "./nodes.ts";
import { assume, finite, orderedSigns, scalarConditions, signSelects } from "./versioning.ts";

/** A version tree: a block of roots, or a condition choosing between two trees. */
export type Tree = { block: number } | { cond: ValueNode; then: Tree; else: Tree };

export const treeConds = (t: Tree): ValueNode[] => ("block" in t ? [] : [t.cond, ...treeConds(t.then), ...treeConds(t.else)]);

/** Per row group, the condition under which it runs at all (absent: always). */
export function groupGuards(em: Emission): Map<number, ValueNode> {
  const { e, k, opts } = em;
  const guards = new Map<number, ValueNode>();
  const zeroOf = opts.backward?.zeroOf;
  if (e.plan.lse) for (const g of em.groups) guards.set(g, e.cond(S.ne(em.scaleOf(g), 0)));
  // lift(w) ⊗ 0̄ = 0̄ and a ⊕ 0̄ = a, as the semiring declares: a group whose adjoints are 0̄ changes nothing.
  if (e.plan.form === "map" && em.reads && !em.inPlace && zeroOf && opts.backward?.traits.zeroAbsorbs) {
    const byGroup = new Map<number, Sx[]>();
    for (const it of em.inst) byGroup.set(it.group, [...(byGroup.get(it.group) ?? []), ...it.ups]);
    for (const [g, ups] of byGroup) {
      const adj = [...new Map(ups.flatMap((u) => S.loadsOf(u)).map((l) => [keyOf(l), l as Extract<Sx, { k: "load" }>])).values()].filter(
        (l) => zeroOf.has(l.ref) && !k.targets.includes(l.ref),
      );
      if (adj.length === 0 || adj.some((l) => mentions(l, e.v))) continue;
      const cond = e.cond(adj.map((l) => S.ne(l, zeroOf.get(l.ref)!)).reduce((a, b) => S.or(a, b)));
      if (cond.kind === "b") guards.set(g, cond);
    }
  }
  return guards;
}

/**
 * Per row group, its version tree, and per block the roots of each member instance's lanes (null:
 * the lane keeps its accumulator).
 */
export function versionTrees(em: Emission): { trees: Map<number, Tree>; blockRoots: Map<number, Map<number, (ValueNode | null)[]>> } {
  const { e, accs } = em;
  const trees = new Map<number, Tree>();
  const blockRoots = new Map<number, Map<number, (ValueNode | null)[]>>();
  let nextBlock = 1 << 20;
  for (const g of em.groups) {
    const members = em.inst.map((it, i) => ({ it, i })).filter(({ it }) => it.group === g);
    const accNames = members.flatMap(({ i }) => accs.map((a) => `@${a}_${i}`));
    const leaf = (rewrite: (x: Sx) => Sx): Tree => {
      const block = nextBlock++;
      const rs = new Map<number, (ValueNode | null)[]>();
      for (const { it, i } of members)
        rs.set(i, it.ups.map((u, l) => {
          const x = rewrite(u);
          return x.k === "var" && x.name === `@${accs[l]}_${i}` ? null : e.vec(e.num(x));
        }));
      blockRoots.set(block, rs);
      return { block };
    };
    // Only where the semiring declares a linear ⊗ whose lanes a negative weight swaps (maxprod, topk).
    const traits = em.opts.backward?.traits;
    const sign = traits?.sign.kind === "signed" && traits.scale === "linear";
    const withPairs = (rewrite: (x: Sx) => Sx): Tree => {
      const pair = !sign ? undefined : members.flatMap(({ it }) => it.ups.flatMap((u) => signSelects(rewrite(u), e.v)))[0];
      if (!pair) return leaf(rewrite);
      const c2 = S.and(S.and(S.ge(pair.a, pair.b), finite(pair.a)), finite(pair.b));
      const cond = e.cond(c2);
      if (cond.kind !== "b") return leaf(rewrite);
      return { cond, then: leaf((x) => orderedSigns(rewrite(x), e.v, pair.a, pair.b)), else: leaf(rewrite) };
    };
    const c1 = scalarConditions(members.flatMap(({ it }) => it.ups), e.v, accNames)[0];
    const cond1 = c1 ? e.cond(c1) : undefined;
    trees.set(
      g,
      c1 && cond1?.kind === "b"
        ? { cond: cond1, then: withPairs((x) => assume(x, c1, true)), else: withPairs((x) => assume(x, c1, false)) }
        : withPairs((x) => x),
    );
  }
  return { trees, blockRoots };
}
