// One kernel's WebAssembly function: the loop nest of its plan around the lowered update, with
// accumulators in registers, pre-passes (separable sums, log-sum-exp references), 0̄ skipping and
// versions on scalar conditions.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import { accVar, type Kernel } from "../../../kernel.ts";
import { flatIndex, flattenLoads } from "../../emit.ts";
import type { FuncBuilder } from "../wasm.ts";
import { keyOf, mentions, varsOf } from "./linearForms.ts";
import { ExprLowering, vecOp } from "./lower.ts";
import type { Node } from "./nodes.ts";
import { combineOp, expOf, summands } from "./reductions.ts";
import { type KernelOptions, type Level, type LoweringTarget, type Plan, SCRATCH, Unsupported } from "./types.ts";
import { assume, finite, orderedSigns, scalarConditions, signSelects } from "./versioning.ts";

const MAX_SCRATCH = 1 << 22;

export class KernelEmitter extends ExprLowering {
  constructor(
    c: LoweringTarget,
    f: FuncBuilder,
    readonly k: Kernel,
    plan: Plan,
    readonly opts: KernelOptions,
  ) {
    super(c, f, plan);
  }

  // ---------------------------------------------------------------- the loop nest

  emit(): void {
    const { k, plan, f } = this;
    const unit = Object.fromEntries(k.vars.filter((iv) => iv.extent <= 1).map((iv) => [iv.name, S.c(0)]));
    const prep = (x: Sx) => flattenLoads(S.substitute(x, unit), (b) => this.c.layout.shapeOf(b));
    const accs = k.targets.map((_, l) => accVar(l));
    const reads = k.update.some((u) => accs.some((a) => mentions(u, a)));
    const target = prep(flatIndex(k.index, this.c.layout.shapeOf(k.targets[0]!)));
    const update = k.update.map(prep);
    const es = this.esize();
    const n = this.n;
    const F = this.F;
    // map form without a reduction loop reads and writes the target elements in place.
    const inPlace = (plan.form === "map" || plan.form === "sep") && plan.accLevel === n;
    const sep = plan.sep;
    const sumName = (l: number, m: number, g: number) => `@S${l}_${m}_${g}`;
    const redVars = new Set(sep?.red.map((lv) => lv.name) ?? []);
    const hasRed = (x: Sx) => [...varsOf(x)].some((nm) => redVars.has(nm));
    // sep: acc + Σ c·P_v·S + Σ c·P[i := v], S the pre-pass sums of the row group.
    const sepUpdate = (l: number, g: number): Sx =>
      sep!.lanes[l]!.reduce<Sx>((acc, mono, m) => {
        const pv = mono.factors.filter((x) => !hasRed(x));
        let term: Sx = S.c(mono.coef);
        if (mono.delta) for (const x of mono.factors) term = S.mul(term, S.substitute(x, { [mono.delta]: S.v(this.v) }));
        else {
          for (const x of pv) term = S.mul(term, x);
          term = S.mul(term, S.v(sumName(l, m, g)));
        }
        return S.add(acc, term);
      }, S.v(accs[l]!));

    if (sep)
      for (const g of new Set(plan.groupOf))
        sep.lanes.forEach((monos, l) =>
          monos.forEach((mono, m) => {
            if (!mono.delta) this.scalarLocal.set(sumName(l, m, g), { local: f.local(F), depth: plan.accLevel - 1 });
          }),
        );
    const inst = plan.instances.map((env, i) => {
      const tgt = S.substitute(target, env);
      const accEnv: Record<string, Sx> = {};
      const accLocals: number[] = [];
      accs.forEach((a, l) => {
        if (inPlace) accEnv[a] = S.load(k.targets[l]!, [tgt]);
        else {
          const name = `@${a}_${i}`;
          const local = f.local("v128");
          this.accLocal.set(name, local);
          accLocals.push(local);
          accEnv[a] = S.v(name);
        }
      });
      const addrs = k.targets.map((buf) => this.scalarAddr(buf, tgt, es));
      const base = sep ? update.map((_, l) => sepUpdate(l, plan.groupOf[i]!)) : update;
      const ups = base.map((u) => S.substitute(S.substitute(u, env), accEnv));
      return { accLocals, addrs, ups, group: plan.groupOf[i]! };
    });

    // Lower. The reduce form accumulates `term` lanes with ⊙; the map form evaluates whole updates;
    // the lse form accumulates Z = Σ ω and R = Σ ω·t_e with ω = e^(t_L − M) = e^A·s[group, reduction
    // point], s = e^(B − M) precomputed per row (A: the part of t_L that varies along v, B: the rest).
    const ops: ("add" | "max" | "min")[] = update.map((u, l) => combineOp(u, accs[l]!)?.op ?? "add");
    const redLevels = plan.levels.slice(plan.accLevel);
    const redSize = redLevels.reduce((p, lv) => p * lv.extent, 1);
    const redFlat = redLevels.reduce<Sx>((acc, lv) => S.add(S.mul(acc, lv.extent), S.v(lv.name)), S.c(0));
    const lse = plan.lse;
    const groups = [...new Set(inst.map((it) => it.group))];
    if (lse) {
      const need = groups.length * redSize * es;
      if (need > MAX_SCRATCH) throw new Unsupported();
      this.c.needScratch(need);
    }
    const scaleOf = (g: number) => S.load(SCRATCH, [S.add(redFlat, g * redSize)]);
    // lse terms are on multi-index loads: A's exponential is simplified, then loads are flattened.
    const lseParts = (env: Record<string, Sx>) => {
      const tL = S.substitute(lse!.terms[lse!.lse]!, env);
      const parts = summands(tL);
      const sum = (xs: { sign: number; x: Sx }[]) => xs.reduce<Sx>((a, t) => (t.sign > 0 ? S.add(a, t.x) : S.sub(a, t.x)), S.c(0));
      const A = sum(parts.filter((t) => mentions(t.x, this.v)));
      return { expA: prep(expOf(A, (x) => this.c.unfold(x))), B: prep(sum(parts.filter((t) => !mentions(t.x, this.v)))) };
    };
    const mapVersioned = plan.form === "map" && reads && !inPlace;
    const roots: Node[][] = mapVersioned ? [] : inst.map((it, i) => {
      if (lse) {
        const env = plan.instances[i]!;
        const omega = S.mul(lseParts(env).expA, scaleOf(it.group));
        return accs.map((_, l) => {
          if (l === lse.lse) return this.vec(this.num(omega));
          const te = prep(S.substitute(lse.terms[l]!, env));
          return this.vec(this.num(S.select(S.eq(omega, 0), 0, S.mul(omega, te))));
        });
      }
      return it.ups.map((u, l) => this.vec(this.num(plan.form === "reduce" ? combineOp(u, `@${accs[l]}_${i}`)!.term : u)));
    });
    // 0̄ skipping (map form with a reduction loop): per group, all the adjoint loads it reads at 0̄.
    const guards = new Map<number, Node>();
    const zeroOf = this.opts.zeroOf;
    if (lse) for (const g of groups) guards.set(g, this.cond(S.ne(scaleOf(g), 0)));
    // lift(w) ⊗ 0̄ = 0̄ and a ⊕ 0̄ = a, as the semiring declares: a group whose adjoints are 0̄ changes nothing.
    if (plan.form === "map" && reads && !inPlace && zeroOf && this.opts.traits?.zeroAbsorbs) {
      const byGroup = new Map<number, Sx[]>();
      for (const it of inst) byGroup.set(it.group, [...(byGroup.get(it.group) ?? []), ...it.ups]);
      for (const [g, ups] of byGroup) {
        const adj = [...new Map(ups.flatMap((u) => S.loadsOf(u)).map((l) => [keyOf(l), l as Extract<Sx, { k: "load" }>])).values()].filter(
          (l) => zeroOf.has(l.ref) && !k.targets.includes(l.ref),
        );
        if (adj.length === 0 || adj.some((l) => mentions(l, this.v))) continue;
        const cond = this.cond(adj.map((l) => S.ne(l, zeroOf.get(l.ref)!)).reduce((a, b) => S.or(a, b)));
        if (cond.kind === "b") guards.set(g, cond);
      }
    }

    // Versions of a row group's update (map form with a reduction loop): on its most frequent
    // scalar select condition (e.g. "the adjoint is 0̄"), then on the order of a sign-select's pair.
    type Tree = { block: number } | { cond: Node; then: Tree; else: Tree };
    const trees = new Map<number, Tree>();
    const blockRoots = new Map<number, Map<number, (Node | null)[]>>();
    if (mapVersioned) {
      let nextBlock = 1 << 20;
      for (const g of groups) {
        const members = inst.map((it, i) => ({ it, i })).filter(({ it }) => it.group === g);
        const accNames = members.flatMap(({ i }) => accs.map((a) => `@${a}_${i}`));
        const leaf = (rewrite: (x: Sx) => Sx): Tree => {
          const block = nextBlock++;
          const rs = new Map<number, (Node | null)[]>();
          for (const { it, i } of members)
            rs.set(i, it.ups.map((u, l) => {
              const x = rewrite(u);
              return x.k === "var" && x.name === `@${accs[l]}_${i}` ? null : this.vec(this.num(x));
            }));
          blockRoots.set(block, rs);
          return { block };
        };
        // Only where the semiring declares a linear ⊗ whose lanes a negative weight swaps (maxprod, topk).
        const sign = this.opts.traits?.sign.kind === "signed" && this.opts.traits.scale === "linear";
        const withPairs = (rewrite: (x: Sx) => Sx): Tree => {
          const pair = !sign ? undefined : members.flatMap(({ it }) => it.ups.flatMap((u) => signSelects(rewrite(u), this.v)))[0];
          if (!pair) return leaf(rewrite);
          const c2 = S.and(S.and(S.ge(pair.a, pair.b), finite(pair.a)), finite(pair.b));
          const cond = this.cond(c2);
          if (cond.kind !== "b") return leaf(rewrite);
          return { cond, then: leaf((x) => orderedSigns(rewrite(x), this.v, pair.a, pair.b)), else: leaf(rewrite) };
        };
        const c1 = scalarConditions(members.flatMap(({ it }) => it.ups), this.v, accNames)[0];
        const cond1 = c1 ? this.cond(c1) : undefined;
        trees.set(
          g,
          c1 && cond1?.kind === "b"
            ? { cond: cond1, then: withPairs((x) => assume(x, c1, true)), else: withPairs((x) => assume(x, c1, false)) }
            : withPairs((x) => x),
        );
      }
    }

    // Uses, and which innermost nodes belong to one group only.
    const seen = new Set<number>();
    const count = (nd: Node) => {
      nd.uses++;
      if (seen.has(nd.id)) return;
      seen.add(nd.id);
      for (const d of nd.deps) count(d);
    };
    const treeConds = (t: Tree): Node[] => ("block" in t ? [] : [t.cond, ...treeConds(t.then), ...treeConds(t.else)]);
    const versioned = trees.size > 0;
    const variantRoots = [...blockRoots.values()].flatMap((m) => [...m.values()].flat()).filter((x): x is Node => x !== null);
    const condNodes = [...trees.values()].flatMap(treeConds);
    for (const r of [...(versioned ? variantRoots : roots.flat()), ...condNodes, ...inst.flatMap((it) => it.addrs.map((a) => a.base)), ...guards.values()]) count(r);
    const mark = (nd: Node, g: number, visited: Set<number>) => {
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
      inst.forEach((it, i) => {
        const visited = new Set<number>();
        for (const r of roots[i]!) mark(r, it.group, visited);
      });
    for (const g of guards.values()) mark(g, -1, new Set());
    const bound = (nd: Node) => !nd.trivial && (nd.uses > 1 || nd.depth < n);
    const emitBound = (d: number, group?: number) => {
      for (const nd of this.nodes) {
        if (nd.depth !== d || nd.local !== undefined || !seen.has(nd.id) || !bound(nd)) continue;
        if (group !== undefined && nd.group !== group && !(group === -1 && nd.group === -2)) continue;
        nd.gen();
        nd.local = f.local(nd.kind === "v" || nd.kind === "m" ? "v128" : nd.kind === "f" ? F : "i32");
        f.set(nd.local);
      }
    };

    const identity = { add: 0, max: -Infinity, min: Infinity };
    const Mname = (g: number) => `@M${g}`;
    const oldLane = (it: (typeof inst)[number], l: number, i: number) => S.load(k.targets[l]!, [S.substitute(target, plan.instances[i]!)]);
    const initAccs = () => {
      if (lse) {
        // Z = e^(L_old − M), R = Z·e_old: the target's value is the first term.
        inst.forEach((it, i) => {
          const M = S.v(Mname(it.group));
          this.use(this.vec(this.num(S.exp(S.sub(oldLane(it, lse.lse, i), M)))));
          const z = it.accLocals[lse.lse]!;
          f.set(z);
          const Z = S.v(`@${accs[lse.lse]}_${i}`);
          it.accLocals.forEach((acc, l) => {
            if (l === lse.lse) return;
            this.use(this.vec(this.num(S.select(S.eq(Z, 0), 0, S.mul(Z, oldLane(it, l, i))))));
            f.set(acc);
          });
        });
        return;
      }
      for (const it of inst)
        it.accLocals.forEach((acc, l) => {
          if (plan.form === "reduce") {
            const id = identity[ops[l]!];
            if (F === "f32") f.v128f32([id, id, id, id]);
            else f.v128f64([id, id]);
          } else {
            this.use(it.addrs[l]!.base);
            f.mem("v128.load", it.addrs[l]!.offset);
          }
          f.set(acc);
        });
    };
    const storeAccs = () => {
      if (lse) {
        // L = M + log Z, e = R/Z; Z = 0 (no path): 0̄.
        inst.forEach((it, i) => {
          const Z = S.v(`@${accs[lse.lse]}_${i}`);
          const values = accs.map((_, l) => {
            if (l === lse.lse) return S.add(S.v(Mname(it.group)), S.log(Z));
            return S.select(S.eq(Z, 0), zeroOf!.get(k.targets[l]!)!, S.div(S.v(`@${accs[l]}_${i}`), Z));
          });
          const nodes = values.map((x) => this.vec(this.num(x)));
          const tmps = nodes.map((nd) => {
            const t = f.local("v128");
            this.use(nd);
            f.set(t);
            return t;
          });
          it.addrs.forEach((a, l) => {
            this.use(a.base);
            f.get(tmps[l]!).mem("v128.store", a.offset);
          });
        });
        return;
      }
      for (const it of inst)
        it.accLocals.forEach((acc, l) => {
          const a = it.addrs[l]!;
          this.use(a.base);
          if (plan.form === "map") {
            f.get(acc).mem("v128.store", a.offset);
            return;
          }
          // Across lanes, then into the target element.
          this.use(a.base);
          f.mem(F === "f32" ? "f32.load" : "f64.load", a.offset);
          for (let ln = 0; ln < this.L; ln++) {
            f.get(acc).lane(this.vop("extract_lane"), ln);
            f.op(this.fop(ops[l]!));
          }
          f.mem(F === "f32" ? "f32.store" : "f64.store", a.offset);
        });
    };
    const body = () => {
      emitBound(n, -1);
      for (const g of [...new Set(inst.map((it) => it.group))]) {
        const guard = guards.get(g);
        if (guard) {
          this.use(guard);
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
                const it = inst[i]!;
                const news = rs.map((r, l) => {
                  if (!r) return null;
                  const tmp = this.scratch("v128", `n${l}`);
                  this.use(r);
                  f.set(tmp);
                  return tmp;
                });
                news.forEach((tmp, l) => tmp !== null && f.get(tmp).set(it.accLocals[l]!));
              }
              return;
            }
            this.use(t.cond);
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
        inst.forEach((it, i) => {
          if (it.group !== g) return;
          if (plan.form === "reduce" || lse) {
            it.accLocals.forEach((acc, l) => {
              f.get(acc);
              this.use(roots[i]![l]!);
              f.simd(this.vop(lse ? "add" : vecOp(ops[l]!))).set(acc);
            });
            return;
          }
          // Every lane reads the old values before any lane is written.
          const news = roots[i]!.map((r, l) => {
            const t = this.scratch("v128", `n${l}`);
            this.use(r);
            f.set(t);
            return t;
          });
          news.forEach((t, l) => {
            if (inPlace) {
              this.use(it.addrs[l]!.base);
              f.get(t).mem("v128.store", it.addrs[l]!.offset);
            } else f.get(t).set(it.accLocals[l]!);
          });
        });
        if (guard) f.end();
      }
    };
    const hasAccs = !inPlace;
    /** A loop over levels[from…to) (their own locals), around `body`. */
    const loops = (from: number, to: number, step: (lv: Level) => number, inner: () => void) => {
      if (from >= to) return inner();
      const lv = plan.levels[from]!;
      f.i32(0).set(lv.local);
      f.open("loop");
      loops(from + 1, to, step, inner);
      f.get(lv.local).i32(step(lv)).op("i32.add").tee(lv.local).i32(lv.extent).op("i32.lt_s").br("br_if", 0);
      f.end();
    };
    const loopsOver = (lvs: readonly Level[], inner: () => void) => {
      if (lvs.length === 0) return inner();
      const [lv, ...rest] = lvs;
      f.i32(0).set(lv!.local);
      f.open("loop");
      loopsOver(rest, inner);
      f.get(lv!.local).i32(lv!.step).op("i32.add").tee(lv!.local).i32(lv!.extent).op("i32.lt_s").br("br_if", 0);
      f.end();
    };
    /** sep: per row group, the sums over the reduction of each monomial's reduction factors. */
    const sepPass = () => {
      for (const g of groups) {
        const env = { ...plan.instances[inst.findIndex((it) => it.group === g)]! };
        delete env[this.v];
        sep!.lanes.forEach((monos, l) =>
          monos.forEach((mono, m) => {
            if (mono.delta) return;
            const pr = mono.factors.filter(hasRed).reduce<Sx>((a, x) => S.mul(a, x), S.c(1));
            const local = this.scalarLocal.get(sumName(l, m, g))!.local;
            if (F === "f32") f.f32(0);
            else f.f64(0);
            f.set(local);
            loopsOver(sep!.red, () => {
              f.get(local);
              this.use(this.num(S.substitute(pr, env)));
              f.op(this.fop("add")).set(local);
            });
          }),
        );
      }
    };
    /** lse: per row group, M = max(B over the reduction, L_old over the row), then s = e^(B − M). */
    const prePass = () => {
      if (sep) return sepPass();
      if (!lse) return;
      const vLevel = plan.accLevel - 1;
      for (const g of groups) {
        const i = inst.findIndex((it) => it.group === g);
        const env = { ...plan.instances[i]! };
        delete env[this.v];
        const B = lseParts(env).B;
        const M = f.local(F);
        this.scalarLocal.set(Mname(g), { local: M, depth: plan.accLevel - 1 });
        if (F === "f32") f.f32(-Infinity);
        else f.f64(-Infinity);
        f.set(M);
        loops(plan.accLevel, n, () => 1, () => {
          f.get(M);
          this.use(this.num(B));
          f.op(this.fop("max")).set(M);
        });
        const row = f.local("v128");
        f.v128f32([0, 0, 0, 0]).set(row);
        if (F === "f32") f.v128f32([-Infinity, -Infinity, -Infinity, -Infinity]).set(row);
        else f.v128f64([-Infinity, -Infinity]).set(row);
        loops(vLevel, vLevel + 1, () => this.L, () => {
          f.get(row);
          this.use(this.vec(this.num(oldLane(inst[i]!, lse.lse, i))));
          f.simd(this.vop("pmax")).set(row);
        });
        for (let ln = 0; ln < this.L; ln++) {
          f.get(M).get(row).lane(this.vop("extract_lane"), ln).op(this.fop("max")).set(M);
        }
        // No path at all: any finite reference.
        f.get(M);
        if (F === "f32") f.f32(-Infinity);
        else f.f64(-Infinity);
        f.op(this.fop("eq")).open("if");
        if (F === "f32") f.f32(0);
        else f.f64(0);
        f.set(M).end();
        loops(plan.accLevel, n, () => 1, () => {
          const a = this.scalarAddr(SCRATCH, S.add(redFlat, g * redSize), es);
          this.use(a.base);
          this.use(this.num(S.exp(S.sub(B, S.v(Mname(g))))));
          f.mem(F === "f32" ? "f32.store" : "f64.store", a.offset);
        });
      }
    };
    // The outermost loop runs over [lo, hi) (params 0 and 1): a thread's share.
    const open = (d: number) => {
      const lv = plan.levels[d - 1]!;
      if (d === 1) f.get(0).set(lv.local);
      else f.i32(0).set(lv.local);
      f.open("loop");
      if (d === n) body();
      else {
        // The pre-pass defines values (sums, references) that nodes bound at this level may read.
        if (d === plan.accLevel - 1) prePass();
        emitBound(d);
        if (hasAccs && d === plan.accLevel) initAccs();
        open(d + 1);
        if (hasAccs && d === plan.accLevel) storeAccs();
      }
      f.get(lv.local).i32(lv.step).op("i32.add").tee(lv.local);
      if (d === 1) f.get(1);
      else f.i32(lv.extent);
      f.op("i32.lt_s").br("br_if", 0);
      f.end();
    };
    // An empty share does nothing (the loops below are do-while).
    f.get(0).get(1).op("i32.ge_s").open("if").op("return").end();
    if (plan.accLevel === 1) prePass();
    emitBound(0);
    if (hasAccs && plan.accLevel === 0) initAccs();
    open(1);
    if (hasAccs && plan.accLevel === 0) storeAccs();
  }
}
