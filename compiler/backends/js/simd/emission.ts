// What the parts of one kernel's emission share: the lowering, and the kernel as its plan unrolls
// it. Instances (the unrolled copies of the update, a register tile) get their accumulator locals
// and target addresses here; separable sums get their per-row sum locals; log-sum-exp sums their
// scratch. Locals are allocated in this order, so the same kernel gives the same function.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import { accVar, type Kernel } from "../../../kernel.ts";
import { flatIndex } from "../../emit.ts";
import { mentions, varsOf } from "./linearForms.ts";
import type { ExprLowering } from "./lower.ts";
import type { ValueNode } from "./nodes.ts";
import { prepareKernel } from "./prepare.ts";
import { combineOp, expOf, summands } from "./reductions.ts";
import { type KernelOptions, SCRATCH, Unsupported } from "./types.ts";

/** Scratch bytes a kernel may use per thread. */
const MAX_SCRATCH = 1 << 22;

export interface Instance {
  /** One vector local per lane (none where the map form updates the target in place). */
  readonly accLocals: number[];
  readonly addrs: { base: ValueNode; offset: number }[];
  /** The instance's update lanes, with its substitutions and accumulators applied. */
  readonly ups: Sx[];
  readonly group: number;
}

export class Emission {
  readonly prep: (x: Sx) => Sx;
  readonly accs: string[];
  /** The update reads the accumulators (several points update one element). */
  readonly reads: boolean;
  /** The target's flat index. */
  readonly target: Sx;
  readonly update: Sx[];
  /** Bytes per float element. */
  readonly es: number;
  /** Map form without a reduction loop: reads and writes the target elements in place. */
  readonly inPlace: boolean;
  readonly inst: Instance[];
  /** Per lane, the reduce form's ⊙. */
  readonly ops: ("add" | "max" | "min")[];
  /** The reduction levels (inside the accumulators), their point count and flat point index. */
  readonly redSize: number;
  readonly redFlat: Sx;
  readonly groups: number[];
  readonly #redVars: Set<string>;

  constructor(
    readonly e: ExprLowering,
    readonly k: Kernel,
    readonly opts: KernelOptions,
  ) {
    const { plan, f } = e;
    this.prep = prepareKernel(k, (b) => e.c.layout.shapeOf(b)).prep;
    this.accs = k.targets.map((_, l) => accVar(l));
    this.reads = k.update.some((u) => this.accs.some((a) => mentions(u, a)));
    this.target = this.prep(flatIndex(k.index, e.c.layout.shapeOf(k.targets[0]!)));
    this.update = k.update.map(this.prep);
    this.es = e.esize();
    this.inPlace = (plan.form === "map" || plan.form === "sep") && plan.accLevel === e.n;
    const sep = plan.sep;
    this.#redVars = new Set(sep?.red.map((lv) => lv.name) ?? []);
    if (sep)
      for (const g of new Set(plan.groupOf))
        sep.lanes.forEach((monos, l) =>
          monos.forEach((mono, m) => {
            if (!mono.delta) e.scalarLocal.set(this.sumName(l, m, g), { local: f.local(e.F), depth: plan.accLevel - 1 });
          }),
        );
    this.inst = plan.instances.map((env, i) => {
      const tgt = S.substitute(this.target, env);
      const accEnv: Record<string, Sx> = {};
      const accLocals: number[] = [];
      this.accs.forEach((a, l) => {
        if (this.inPlace) accEnv[a] = S.load(k.targets[l]!, [tgt]);
        else {
          const name = `@${a}_${i}`;
          const local = f.local("v128");
          e.accLocal.set(name, local);
          accLocals.push(local);
          accEnv[a] = S.v(name);
        }
      });
      const addrs = k.targets.map((buf) => e.scalarAddr(buf, tgt, this.es));
      const base = sep ? this.update.map((_, l) => this.#sepUpdate(l, plan.groupOf[i]!)) : this.update;
      const ups = base.map((u) => S.substitute(S.substitute(u, env), accEnv));
      return { accLocals, addrs, ups, group: plan.groupOf[i]! };
    });
    this.ops = this.update.map((u, l) => combineOp(u, this.accs[l]!)?.op ?? "add");
    const redLevels = plan.levels.slice(plan.accLevel);
    this.redSize = redLevels.reduce((p, lv) => p * lv.extent, 1);
    this.redFlat = redLevels.reduce<Sx>((acc, lv) => S.add(S.mul(acc, lv.extent), S.v(lv.name)), S.c(0));
    this.groups = [...new Set(this.inst.map((it) => it.group))];
    if (plan.lse) {
      const rows = 1 + (plan.lse.products?.filter((p) => p !== undefined).length ?? 0);
      const need = rows * this.groups.length * this.redSize * this.es;
      if (need > MAX_SCRATCH) throw new Unsupported();
      e.c.needScratch(need);
    }
  }

  /** sep: the variable holding a row group's pre-pass sum of monomial m of lane l. */
  sumName(l: number, m: number, g: number): string {
    return `@S${l}_${m}_${g}`;
  }
  hasRed(x: Sx): boolean {
    return [...varsOf(x)].some((nm) => this.#redVars.has(nm));
  }
  /** sep: acc + Σ c·P_v·S + Σ c·P[i := v], S the pre-pass sums of the row group. */
  #sepUpdate(l: number, g: number): Sx {
    return this.e.plan.sep!.lanes[l]!.reduce<Sx>((acc, mono, m) => {
      const pv = mono.factors.filter((x) => !this.hasRed(x));
      let term: Sx = S.c(mono.coef);
      if (mono.delta) for (const x of mono.factors) term = S.mul(term, S.substitute(x, { [mono.delta]: S.v(this.e.v) }));
      else {
        for (const x of pv) term = S.mul(term, x);
        term = S.mul(term, S.v(this.sumName(l, m, g)));
      }
      return S.add(acc, term);
    }, S.v(this.accs[l]!));
  }

  /** lse: the scale factor e^(B − M) of row group g at the current reduction point. */
  scaleOf(g: number): Sx {
    return S.load(SCRATCH, [S.add(this.redFlat, g * this.redSize)]);
  }
  /** lse: lane l's scaled per-row term s·P_r of row group g at the current reduction point (scratch, after the scale factors). */
  scaledRowOf(l: number, g: number): Sx {
    return S.load(SCRATCH, [this.scaledRowIndex(l, g)]);
  }
  scaledRowIndex(l: number, g: number): Sx {
    const slot = 1 + this.e.plan.lse!.products!.slice(0, l).filter((p) => p !== undefined).length;
    return S.add(this.redFlat, (slot * this.groups.length + g) * this.redSize);
  }
  /** lse: t_L = A + B, A the part that varies along v (as e^A, simplified), B the rest. lse terms are on multi-index loads: A's exponential is simplified, then loads are flattened. */
  lseParts(env: Record<string, Sx>): { expA: Sx; B: Sx } {
    const lse = this.e.plan.lse!;
    const tL = S.substitute(lse.terms[lse.lse]!, env);
    const parts = summands(tL);
    const sum = (xs: { sign: number; x: Sx }[]) => xs.reduce<Sx>((a, t) => (t.sign > 0 ? S.add(a, t.x) : S.sub(a, t.x)), S.c(0));
    const A = sum(parts.filter((t) => mentions(t.x, this.e.v)));
    return { expA: this.prep(expOf(A, (x) => this.e.c.unfold(x))), B: this.prep(sum(parts.filter((t) => !mentions(t.x, this.e.v)))) };
  }
  /** lse: the variable holding row group g's reference M. */
  Mname(g: number): string {
    return `@M${g}`;
  }
  /** Lane l of instance i's target element, as it was before the kernel. */
  oldLane(l: number, i: number): Sx {
    return S.load(this.k.targets[l]!, [S.substitute(this.target, this.e.plan.instances[i]!)]);
  }
}
