// Reading a kernel's update as a reduction `acc ⊙ term`: which op combines (+, max, min), the
// terms, the declared log-sum-exp ⊕ (accumulated as scaled sums), and separable sums (per-row sums
// over the reduction first, then one pass over the vector variable).

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import type { PlusLaw } from "../../../../ir/semirings/semiring.ts";
import { keyOf, mentions, varsOf } from "./linearForms.ts";

/** The ops of a combinable update lane: acc ⊙ term. */
export function combineOp(u: Sx, acc: string): { op: "add" | "max" | "min"; term: Sx } | undefined {
  if (u.k !== "bin" || (u.op !== "add" && u.op !== "max" && u.op !== "min")) return undefined;
  const isAcc = (x: Sx) => x.k === "var" && x.name === acc;
  if (isAcc(u.a) && !mentions(u.b, acc)) return { op: u.op, term: u.b };
  if (isAcc(u.b) && !mentions(u.a, acc)) return { op: u.op, term: u.a };
  return undefined;
}

/**
 * The ⊕-terms of an accumulating update: its maximal subexpressions free of the accumulators
 * (constants aside), in first-seen order. For `acc ⊕ t` these are t's lanes.
 */
export function termsOf(updates: readonly Sx[], accs: readonly string[]): Sx[] {
  const found = new Map<string, Sx>();
  const visit = (x: Sx) => {
    if (x.k === "const") return;
    if (!accs.some((a) => mentions(x, a))) {
      found.set(keyOf(x), x);
      return;
    }
    for (const ch of S.children(x)) visit(ch);
  };
  for (const u of updates) visit(u);
  return [...found.values()];
}

/**
 * Log-sum-exp accumulation: when the semiring declares ⊕ as log(e^a + e^b) on lane `lse` and as the
 * e^L-weighted mean of the operands on every other lane (so a ⊕-sum of terms t is L = M + log Σ
 * e^(t_L − M), e = Σ e^(t_L − M)·t_e / Σ e^(t_L − M) for any reference M), the kernel can accumulate
 * those sums instead of applying ⊕ per term.
 */
export interface LseMonoid {
  /** The log-sum-exp lane. */
  readonly lse: number;
  /** Per lane, its term (the lane of `t` in acc ⊕ t). */
  readonly terms: readonly Sx[];
  /** Per lane other than lse, its sum as ordinary products (see lseProducts); absent: kept whole. */
  readonly products?: readonly (LseProducts | undefined)[];
}

/**
 * A lane's weighted sum Σ ω·t_e as ordinary products: with ω = e^A·s (A the part of t_L that varies
 * along the vector variable, s = e^(B − M) per reduction point) and t_e = P_v + P_r split the same
 * way, ω·t_e = s·(e^A·P_v) + e^A·(s·P_r). `perEdge` is e^A·P_v (0 where e^A = 0: no edge, and
 * 0·log 0 = 0), a cache where it reads only constants (|w|·log|w| of a weight), computed per edge
 * otherwise; `perRow` is P_r, scaled by s once per reduction point in the pre-pass.
 */
export interface LseProducts {
  readonly perEdge?: Sx;
  readonly perRow: Sx;
}

const sumOf = (xs: { sign: number; x: Sx }[]): Sx => xs.reduce<Sx>((a, t) => (t.sign > 0 ? S.add(a, t.x) : S.sub(a, t.x)), S.c(0));

/** x with every cache load replaced by its definition. */
function unfoldAll(x: Sx, unfold: (load: Sx) => Sx | undefined): Sx {
  const def = unfold(x);
  if (def) return unfoldAll(def, unfold);
  switch (x.k) {
    case "const": case "var": return x;
    case "load": return S.load(x.ref, x.index.map((i) => unfoldAll(i, unfold)));
    case "un": return S.un(x.op, unfoldAll(x.x, unfold));
    case "bin": return S.bin(x.op, unfoldAll(x.a, unfold), unfoldAll(x.b, unfold));
    case "select": return S.select(unfoldAll(x.c, unfold), unfoldAll(x.a, unfold), unfoldAll(x.b, unfold));
  }
}

/**
 * The lanes of a log-sum-exp sum as ordinary products along vector variable v. A term guarded as
 * `isneginf(t_L) ? 0 : X` is read as X: ω = e^(t_L − M) is 0 exactly there, and the products need
 * no guard (X is finite where t_L is). `cacheOf` gives a cache of a constant-only expression.
 */
export function lseProducts(lse: LseMonoid, v: string, unfold: (load: Sx) => Sx | undefined, cacheOf: (x: Sx) => Sx | undefined): LseMonoid {
  const tL = lse.terms[lse.lse]!;
  const A = sumOf(summands(tL).filter((t) => mentions(t.x, v)));
  const eA = expOf(A, unfold);
  const products = lse.terms.map((te, l): LseProducts | undefined => {
    if (l === lse.lse || keyOf(te) === keyOf(tL)) return undefined;
    const guarded = te.k === "select" && te.a.k === "const" && te.a.v === 0 && te.c.k === "un" && te.c.op === "isneginf" && keyOf(te.c.x) === keyOf(tL);
    const parts = summands(guarded ? te.b : te);
    const pv = parts.filter((t) => mentions(t.x, v));
    const perRow = sumOf(parts.filter((t) => !mentions(t.x, v)));
    if (pv.length === 0) return { perRow };
    const edge = unfoldAll(S.select(S.eq(eA, 0), 0, S.mul(eA, sumOf(pv))), unfold);
    return { perEdge: cacheOf(edge) ?? edge, perRow };
  });
  return { ...lse, products };
}

/**
 * The terms of `acc ⊕ t` under a declared log-sum-exp ⊕: the lse lane's update reads one term (t_L);
 * every other lane's reads t_L and its own term (or only t_L, when its term is the same expression).
 * Undefined when the updates are not of that form (they stay a map form).
 */
export function lseTerms(updates: readonly Sx[], accs: readonly string[], plus: PlusLaw, zero: readonly number[]): LseMonoid | undefined {
  if (plus.kind !== "logsumexp" || zero[plus.lane] !== -Infinity || updates.length > 4) return undefined;
  const lse = plus.lane;
  const [tL, ...more] = termsOf([updates[lse]!], accs);
  if (!tL || more.length > 0) return undefined;
  const terms: Sx[] = [];
  for (const [l, u] of updates.entries()) {
    if (l === lse) {
      terms.push(tL);
      continue;
    }
    const own = termsOf([u], accs).filter((t) => keyOf(t) !== keyOf(tL));
    if (own.length > 1) return undefined;
    terms.push(own[0] ?? tL);
  }
  return { lse, terms };
}

/** Signed summands of a sum. */
export function summands(x: Sx, sign = 1, out: { sign: number; x: Sx }[] = []): { sign: number; x: Sx }[] {
  if (x.k === "bin" && x.op === "add") {
    summands(x.a, sign, out);
    summands(x.b, sign, out);
  } else if (x.k === "bin" && x.op === "sub") {
    summands(x.a, sign, out);
    summands(x.b, -sign, out);
  } else if (x.k === "un" && x.op === "neg") summands(x.x, -sign, out);
  else out.push({ sign, x });
  return out;
}

/**
 * e^x with e^(a+b) = e^a·e^b and e^(log y) = y (y ≥ 0, as log's domain), so no exp is left where
 * none is needed. `unfold` gives back a cache load's definition.
 */
export function expOf(x: Sx, unfold: (load: Sx) => Sx | undefined = () => undefined): Sx {
  return summands(x).reduce<Sx>((acc, { sign, x: t0 }) => {
    const t = unfold(t0) ?? t0;
    const e = t.k === "un" && t.op === "log" ? t.x : t.k === "const" ? S.c(Math.exp(t.v)) : S.exp(t0);
    return S.mul(acc, sign > 0 ? e : S.div(1, e));
  }, S.c(1));
}

/**
 * Separable reductions: Σ_R T where T expands into monomials c·P_R·P_v (P_R free of the vector
 * variable v, P_v free of the reduction variables R) or c·δ(i, v)·P (i ∈ R): then
 * Σ_R T = Σ c·P_v·(Σ_R P_R) + Σ c·P[i := v], one pass over R and one over v instead of a pass over
 * R for every v. (LayerNorm's and softmax's dense Jacobians times an adjoint are of this form.)
 * Only subexpressions that mention both R and v are expanded.
 */
export interface Monomial {
  coef: number;
  factors: Sx[];
  /** δ(i, v): the reduction variable i that the monomial pins to v. */
  delta?: string;
}

export function separate(x: Sx, red: ReadonlySet<string>, v: string): Monomial[] | undefined {
  const hasR = (e: Sx) => [...varsOf(e)].some((n) => red.has(n));
  const hasV = (e: Sx) => mentions(e, v);
  const cross = (a: Monomial[], b: Monomial[]): Monomial[] | undefined => {
    const out: Monomial[] = [];
    for (const p of a)
      for (const q of b) {
        if (p.delta && q.delta) return undefined;
        out.push({ coef: p.coef * q.coef, factors: [...p.factors, ...q.factors], delta: p.delta ?? q.delta });
      }
    return out.length > 64 ? undefined : out;
  };
  const go = (e: Sx): Monomial[] | undefined => {
    if (e.k === "const") return [{ coef: e.v, factors: [] }];
    if (!(hasR(e) && hasV(e))) return [{ coef: 1, factors: [e] }];
    switch (e.k) {
      case "bin": {
        if (e.op === "add" || e.op === "sub") {
          const a = go(e.a), b = go(e.b);
          if (!a || !b) return undefined;
          return [...a, ...(e.op === "sub" ? b.map((m) => ({ ...m, coef: -m.coef })) : b)];
        }
        if (e.op === "mul") {
          const a = go(e.a), b = go(e.b);
          return a && b ? cross(a, b) : undefined;
        }
        if (e.op === "div" && !(hasR(e.b) && hasV(e.b))) {
          const a = go(e.a);
          return a ? cross(a, [{ coef: 1, factors: [S.div(1, e.b)] }]) : undefined;
        }
        return undefined;
      }
      case "un":
        if (e.op === "neg") return go(e.x)?.map((m) => ({ ...m, coef: -m.coef }));
        return undefined;
      case "select": {
        // δ(i, v) as select(i = v, 1, 0)
        const c = e.c;
        if (c.k === "bin" && c.op === "eq" && e.a.k === "const" && e.a.v === 1 && e.b.k === "const" && e.b.v === 0) {
          const [p, q] = [c.a, c.b];
          const i = p.k === "var" && red.has(p.name) && q.k === "var" && q.name === v ? p.name : q.k === "var" && red.has(q.name) && p.k === "var" && p.name === v ? q.name : undefined;
          if (i) return [{ coef: 1, factors: [], delta: i }];
        }
        return undefined;
      }
      default:
        return undefined;
    }
  };
  const ms = go(x);
  if (!ms) return undefined;
  for (const m of ms) {
    if (m.delta && red.size !== 1) return undefined;
    if (!m.delta && m.factors.some((f) => hasR(f) && hasV(f))) return undefined;
  }
  return ms;
}
