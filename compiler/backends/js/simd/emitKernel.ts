// One kernel's WebAssembly function: the loop nest of its plan around the lowered update. Nodes
// are bound to locals at the outermost loop they allow (and where more than one use shares them);
// innermost nodes used by one row group only are emitted inside that group's guard or version.

import * as S from "../../../../ir/scalar.ts";
import type { Kernel } from "../../../kernel.ts";
import { initAccs, storeAccs } from "./accumulators.ts";
import { Emission } from "./emission.ts";
import { type ExprLowering, vecOp } from "./lower.ts";
import type { ValueNode } from "./nodes.ts";
import { prePass } from "./prePass.ts";
import { combineOp } from "./reductions.ts";
import type { KernelOptions } from "./types.ts";
import { groupGuards, type Tree, treeConds, versionTrees } from "./versions.ts";

export function emitKernel(e: ExprLowering, k: Kernel, opts: KernelOptions): void {
  const em = new Emission(e, k, opts);
  const { f, plan, n, F } = e;
  const { accs } = em;
  const lse = plan.lse;
  // Lower. The reduce form accumulates `term` lanes with ⊙; the map form evaluates whole updates;
  // the lse form accumulates Z = Σ ω and R = Σ ω·t_e with ω = e^(t_L − M) = e^A·s[group, reduction
  // point], s = e^(B − M) precomputed per row (A: the part of t_L that varies along v, B: the rest),
  // and R as ordinary products where the plan split t_e (see LseProducts).
  const mapVersioned = plan.form === "map" && em.reads && !em.inPlace;
  const roots: ValueNode[][] = mapVersioned ? [] : em.inst.map((it, i) => {
    if (lse) {
      const env = plan.instances[i]!;
      const { expA } = em.lseParts(env);
      const omega = S.mul(expA, em.scaleOf(it.group));
      return accs.map((_, l) => {
        if (l === lse.lse) return e.vec(e.num(omega));
        const prod = lse.products?.[l];
        if (prod) {
          // s·(e^A·P_v) + e^A·(s·P_r): ordinary multiply-adds, no log or select per edge.
          const edge = prod.perEdge ? S.mul(em.prep(S.substitute(prod.perEdge, env)), em.scaleOf(it.group)) : S.c(0);
          return e.vec(e.num(S.add(edge, S.mul(expA, em.scaledRowOf(l, it.group)))));
        }
        const te = em.prep(S.substitute(lse.terms[l]!, env));
        return e.vec(e.num(S.select(S.eq(omega, 0), 0, S.mul(omega, te))));
      });
    }
    return it.ups.map((u, l) => e.vec(e.num(plan.form === "reduce" ? combineOp(u, `@${accs[l]}_${i}`)!.term : u)));
  });
  const guards = groupGuards(em);
  const { trees, blockRoots } = mapVersioned ? versionTrees(em) : { trees: new Map<number, Tree>(), blockRoots: new Map<number, Map<number, (ValueNode | null)[]>>() };

  // Uses, and which innermost nodes belong to one group only.
  const seen = new Set<number>();
  const count = (nd: ValueNode) => {
    nd.uses++;
    if (seen.has(nd.id)) return;
    seen.add(nd.id);
    for (const d of nd.deps) count(d);
  };
  const versioned = trees.size > 0;
  const variantRoots = [...blockRoots.values()].flatMap((m) => [...m.values()].flat()).filter((x): x is ValueNode => x !== null);
  const condNodes = [...trees.values()].flatMap(treeConds);
  for (const r of [...(versioned ? variantRoots : roots.flat()), ...condNodes, ...em.inst.flatMap((it) => it.addrs.map((a) => a.base)), ...guards.values()]) count(r);
  const mark = (nd: ValueNode, g: number, visited: Set<number>) => {
    if (visited.has(nd.id) || nd.depth < n) return;
    visited.add(nd.id);
    nd.group = nd.group === -2 || nd.group === g ? g : -1;
    for (const d of nd.deps) mark(d, g, visited);
  };
  if (versioned) {
    for (const [block, rs] of blockRoots) {
      const visited = new Set<number>();
      for (const r of [...rs.values()].flat()) if (r) mark(r, block, visited);
    }
    for (const [g, t] of trees) {
      const visited = new Set<number>();
      for (const c of treeConds(t)) mark(c, g, visited);
    }
  } else
    em.inst.forEach((it, i) => {
      const visited = new Set<number>();
      for (const r of roots[i]!) mark(r, it.group, visited);
    });
  for (const g of guards.values()) mark(g, -1, new Set());
  const bound = (nd: ValueNode) => !nd.trivial && (nd.uses > 1 || nd.depth < n);
  const emitBound = (d: number, group?: number) => {
    for (const nd of e.nodes) {
      if (nd.depth !== d || nd.local !== undefined || !seen.has(nd.id) || !bound(nd)) continue;
      if (group !== undefined && nd.group !== group && !(group === -1 && nd.group === -2)) continue;
      nd.gen();
      nd.local = f.local(nd.kind === "v" || nd.kind === "m" ? "v128" : nd.kind === "f" ? F : "i32");
      f.set(nd.local);
    }
  };

  const body = () => {
    emitBound(n, -1);
    for (const g of [...new Set(em.inst.map((it) => it.group))]) {
      const guard = guards.get(g);
      if (guard) {
        e.use(guard);
        f.open("if");
      }
      emitBound(n, g);
      const tree = trees.get(g);
      if (tree) {
        // Each version updates the group's accumulators with its own roots (null: unchanged).
        const emitTree = (t: Tree) => {
          if ("block" in t) {
            emitBound(n, t.block);
            for (const [i, rs] of blockRoots.get(t.block)!) {
              const it = em.inst[i]!;
              const news = rs.map((r, l) => {
                if (!r) return null;
                const tmp = e.scratch("v128", `n${l}`);
                e.use(r);
                f.set(tmp);
                return tmp;
              });
              news.forEach((tmp, l) => tmp !== null && f.get(tmp).set(it.accLocals[l]!));
            }
            return;
          }
          e.use(t.cond);
          f.open("if");
          emitTree(t.then);
          f.op("else");
          emitTree(t.else);
          f.end();
        };
        emitTree(tree);
        if (guard) f.end();
        continue;
      }
      em.inst.forEach((it, i) => {
        if (it.group !== g) return;
        if (plan.form === "reduce" || lse) {
          it.accLocals.forEach((acc, l) => {
            f.get(acc);
            e.use(roots[i]![l]!);
            f.simd(e.vop(lse ? "add" : vecOp(em.ops[l]!))).set(acc);
          });
          return;
        }
        // Every lane reads the old values before any lane is written.
        const news = roots[i]!.map((r, l) => {
          const t = e.scratch("v128", `n${l}`);
          e.use(r);
          f.set(t);
          return t;
        });
        news.forEach((t, l) => {
          if (em.inPlace) {
            e.use(it.addrs[l]!.base);
            f.get(t).mem("v128.store", it.addrs[l]!.offset);
          } else f.get(t).set(it.accLocals[l]!);
        });
      });
      if (guard) f.end();
    }
  };
  const hasAccs = !em.inPlace;
  // The outermost loop runs over [lo, hi) (params 0 and 1): a thread's share.
  const open = (d: number) => {
    const lv = plan.levels[d - 1]!;
    if (d === 1) f.get(0).set(lv.local);
    else f.i32(0).set(lv.local);
    f.open("loop");
    if (d === n) body();
    else {
      // The pre-pass defines values (sums, references) that nodes bound at this level may read.
      if (d === plan.accLevel - 1) prePass(em);
      emitBound(d);
      if (hasAccs && d === plan.accLevel) initAccs(em);
      open(d + 1);
      if (hasAccs && d === plan.accLevel) storeAccs(em);
    }
    f.get(lv.local).i32(lv.step).op("i32.add").tee(lv.local);
    if (d === 1) f.get(1);
    else f.i32(lv.extent);
    f.op("i32.lt_s").br("br_if", 0);
    f.end();
  };
  // An empty share does nothing (the loops below are do-while).
  f.get(0).get(1).op("i32.ge_s").open("if").op("return").end();
  if (plan.accLevel === 1) prePass(em);
  emitBound(0);
  if (hasAccs && plan.accLevel === 0) initAccs(em);
  open(1);
  if (hasAccs && plan.accLevel === 0) storeAccs(em);
}
