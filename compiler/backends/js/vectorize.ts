// Kernel → a WebAssembly SIMD function over the module's one memory (buffers at fixed byte offsets).
// The kernel's Sx is lowered as it is, lane-parallel along one index variable; nothing here knows an
// op or a semiring. Two shapes are vectorised, read off the kernel's structure:
//
//   map:    the vector variable is the target's last (contiguous) axis, so every lane updates its
//           own element; loops over the other variables (reductions included) run around it, and a
//           target block stays in registers across the reduction loops (unroll-and-jam: `tile`
//           neighbouring rows share every load that does not depend on the row).
//   reduce: the vector variable is reduced (target invariant in it) and each lane's update is
//           `acc ⊙ term` with ⊙ ∈ {+, max, min}: lanes accumulate partial results that are
//           combined across lanes at the end; tiles of target elements share loads.
//
// Loop-invariant subexpressions are computed once at the outermost loop they allow and shared
// (CSE) across the unrolled instances. A backward's kernels come with their semiring's declared
// traits (ir/semirings/semiring.ts), which say what an update `acc ⊕ term` may become: where 0̄
// absorbs, an instance whose consumer adjoint is 0̄ is skipped (lift(w) ⊗ 0̄ = 0̄, a ⊕ 0̄ = a); a
// log-sum-exp ⊕ accumulates scaled sums; a sign-swapping linear ⊗ is versioned on the sign order.
// A vector variable whose extent is not a multiple of the lane count (BERT's 30522-wide vocabulary
// row in f32x4) is vectorised over the largest multiple; its last points are a JS tail kernel that
// the module runs after the call. Anything else (scatter targets, guards, extents under one vector)
// returns null and stays a JS loop.

import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import type { PlusLaw, Traits } from "../../../ir/semirings/semiring.ts";
import { accVar, type Kernel } from "../../kernel.ts";
import { flatIndex, flattenLoads } from "../emit.ts";
import { FuncBuilder, ModuleBuilder, type ScalarOp, type SimdOp } from "./wasm.ts";

export interface WasmLayout {
  readonly precision: "f32" | "f64";
  /** Byte offset of a buffer in the memory. */
  addr(buffer: string): number;
  isInt(buffer: string): boolean;
  shapeOf(buffer: string): readonly number[];
  /** Buffers that never change after createModel (parameters, constants). */
  isConst(buffer: string): boolean;
  /** Adds a buffer (a cache of values computed from constant buffers) to the memory. */
  addBuffer(name: string, shape: readonly number[]): void;
}

export interface CompiledKernel {
  readonly note: string;
  /** The outermost loop: its extent and step. */
  readonly extent: number;
  readonly step: number;
  /** Whether [0, extent) may be split across threads. */
  readonly split: boolean;
  /** Loop iterations, roughly (for deciding whether threads pay). */
  readonly work: number;
  /** Whether it uses the scratch region (its third parameter). */
  readonly scratch: boolean;
  /**
   * The points the WebAssembly function leaves out, as a kernel for the JS loops: the vector loop
   * covers the largest multiple of the lane count, and the last (fewer than a vector's) points of
   * its variable run here, after it.
   */
  readonly tail?: Kernel;
}

export interface KernelOptions {
  /** Adjoint lane buffers → that lane of the semiring's 0̄ (a backward's kernels). */
  readonly zeroOf?: ReadonlyMap<string, number>;
  /**
   * The declared algebra of the semiring whose backward the kernel belongs to: what its updates
   * `acc ⊕ term` may be rewritten into (0̄ skipping, log-sum-exp sums, sign versioning).
   */
  readonly traits?: Traits;
  /** Every point must run in WebAssembly (no JS remainder): for kernels whose target only it sees. */
  readonly whole?: boolean;
}

class Unsupported extends Error {}

type Kind = "i" | "f" | "v" | "b" | "m";

interface Node {
  readonly id: number;
  readonly key: string;
  readonly kind: Kind;
  readonly depth: number;
  readonly deps: readonly Node[];
  readonly gen: () => void;
  /** Constants and locals: re-emitting is as cheap as a local.get. */
  readonly trivial: boolean;
  uses: number;
  local?: number;
  group: number;
}

interface Level {
  readonly name: string;
  readonly extent: number;
  readonly step: number;
  local: number;
}

// ---------------------------------------------------------------- linear forms of index expressions

interface Lin {
  c: number;
  terms: Map<string, { coef: number; atom: Sx }>;
}

const singleLin = (atom: Sx): Lin => ({ c: 0, terms: new Map([[keyOf(atom), { coef: 1, atom }]]) });
const scaleLin = (l: Lin, s: number): Lin => ({ c: l.c * s, terms: new Map([...l.terms].map(([k, t]) => [k, { coef: t.coef * s, atom: t.atom }])) });
function plusLin(a: Lin, b: Lin): Lin {
  const terms = new Map(a.terms);
  for (const [k, t] of b.terms) {
    const coef = (terms.get(k)?.coef ?? 0) + t.coef;
    if (coef === 0) terms.delete(k);
    else terms.set(k, { coef, atom: t.atom });
  }
  return { c: a.c + b.c, terms };
}

const linMemo = new WeakMap<Sx, Lin>();
function linearize(x: Sx): Lin {
  const hit = linMemo.get(x);
  if (hit) return hit;
  let out: Lin;
  switch (x.k) {
    case "const": out = { c: x.v, terms: new Map() }; break;
    case "var": out = singleLin(x); break;
    case "un": out = x.op === "neg" ? scaleLin(linearize(x.x), -1) : singleLin(x); break;
    case "bin":
      if (x.op === "add") out = plusLin(linearize(x.a), linearize(x.b));
      else if (x.op === "sub") out = plusLin(linearize(x.a), scaleLin(linearize(x.b), -1));
      else if (x.op === "mul" && x.a.k === "const") out = scaleLin(linearize(x.b), x.a.v);
      else if (x.op === "mul" && x.b.k === "const") out = scaleLin(linearize(x.a), x.b.v);
      else out = singleLin(x);
      break;
    default: out = singleLin(x);
  }
  linMemo.set(x, out);
  return out;
}

function linToSx(l: Lin, withConst: boolean): Sx {
  const keys = [...l.terms.keys()].sort();
  let out: Sx = S.c(withConst ? l.c : 0);
  for (const k of keys) {
    const t = l.terms.get(k)!;
    out = S.add(out, S.mul(t.atom, t.coef));
  }
  return out;
}

const keyOf = (x: Sx): string => S.sxKey(x);

const varsMemo = new WeakMap<Sx, ReadonlySet<string>>();
/** The variables of x (memoised per node: kernels ask this of the same trees many times). */
function varsOf(x: Sx): ReadonlySet<string> {
  let vs = varsMemo.get(x);
  if (!vs) {
    if (x.k === "var") vs = new Set([x.name]);
    else {
      const kids = S.children(x);
      if (kids.length === 0) vs = EMPTY;
      else if (kids.length === 1) vs = varsOf(kids[0]!);
      else {
        const acc = new Set<string>();
        for (const ch of kids) for (const v of varsOf(ch)) acc.add(v);
        vs = acc;
      }
    }
    varsMemo.set(x, vs);
  }
  return vs;
}
const EMPTY: ReadonlySet<string> = new Set();
const mentions = (x: Sx, name: string): boolean => varsOf(x).has(name);

// ---------------------------------------------------------------- the compiler

const ACC_BUDGET = 8;
const SCRATCH = "@scratch";
const MAX_SCRATCH = 1 << 22;

/**
 * Vector max/min are the "pseudo" forms (one maxps/minps; NaN-propagating max/min take several
 * instructions): they differ only on NaN operands and on the sign of a zero result, and
 * semiring values never hold NaN.
 */
const vecOp = (op: string): string => (op === "max" ? "pmax" : op === "min" ? "pmin" : op);

/** Scalar functions that WASM kernels of this precision take from the host, lane by lane. */
export const hostMath = (precision: "f32" | "f64"): string[] =>
  precision === "f64" ? ["exp", "log", "log1p", "tanh", "sin", "cos", "erf"] : ["sin", "cos"];

/** Ops the kernels lower through another function: their lanes need that one's import too. */
const LOWERED_THROUGH: Readonly<Record<string, string>> = { sigmoid: "exp" };

/** The host functions a module imports for kernels using `unaryOps`. */
export const hostImports = (precision: "f32" | "f64", unaryOps: ReadonlySet<string>): string[] =>
  hostMath(precision).filter((m) => unaryOps.has(m) || [...unaryOps].some((op) => LOWERED_THROUGH[op] === m));

interface Plan {
  /**
   * lse: map form accumulating log-sum-exp sums (see LseMonoid). sep: map form whose reduction is
   * separable (see Monomial): per row, sums over the reduction first, then one pass over v.
   */
  form: "map" | "reduce" | "lse" | "sep";
  lse?: LseMonoid;
  /** sep: per lane, the monomials of its term; the reduction loops, run in the pre-pass. */
  sep?: { lanes: Monomial[][]; red: Level[] };
  v: string;
  levels: Level[];
  /** Per instance: var substitutions. */
  instances: Record<string, Sx>[];
  /** The level (1-based) holding the accumulators. */
  accLevel: number;
  /** Instance groups (map form: rows of the tile), for 0̄ skipping. */
  groupOf: number[];
  note: string;
  /** v's first point past the vector loop, when its extent is not a multiple of the lane count. */
  tail?: number;
}

/** Kernel k restricted to v ≥ from (v renumbered from 0). */
function tailKernel(k: Kernel, v: string, from: number): Kernel {
  const shift = (x: Sx) => S.substitute(x, { [v]: S.add(S.v(v), from) });
  return {
    ...k,
    comment: `${k.comment} (${v} from ${from})`,
    vars: k.vars.map((iv) => (iv.name === v ? { ...iv, extent: iv.extent - from } : iv)),
    ...(k.guard ? { guard: shift(k.guard) } : {}),
    index: k.index.map(shift),
    update: k.update.map(shift),
  };
}

/** The ops of a combinable update lane: acc ⊙ term. */
function combineOp(u: Sx, acc: string): { op: "add" | "max" | "min"; term: Sx } | undefined {
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
function termsOf(updates: readonly Sx[], accs: readonly string[]): Sx[] {
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
interface LseMonoid {
  /** The log-sum-exp lane. */
  readonly lse: number;
  /** Per lane, its term (the lane of `t` in acc ⊕ t). */
  readonly terms: readonly Sx[];
}

/**
 * The terms of `acc ⊕ t` under a declared log-sum-exp ⊕: the lse lane's update reads one term (t_L);
 * every other lane's reads t_L and its own term (or only t_L, when its term is the same expression).
 * Undefined when the updates are not of that form (they stay a map form).
 */
function lseTerms(updates: readonly Sx[], accs: readonly string[], plus: PlusLaw, zero: readonly number[]): LseMonoid | undefined {
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
function summands(x: Sx, sign = 1, out: { sign: number; x: Sx }[] = []): { sign: number; x: Sx }[] {
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
function expOf(x: Sx, unfold: (load: Sx) => Sx | undefined = () => undefined): Sx {
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
interface Monomial {
  coef: number;
  factors: Sx[];
  /** δ(i, v): the reduction variable i that the monomial pins to v. */
  delta?: string;
}

function separate(x: Sx, red: ReadonlySet<string>, v: string): Monomial[] | undefined {
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

// ---------------------------------------------------------------- versioning on scalar conditions

/** Replaces every occurrence of `c` (top-down) by a constant, and simplifies. */
function assume(x: Sx, c: Sx, value: boolean): Sx {
  const key = keyOf(c);
  const go = (e: Sx): Sx => {
    if (keyOf(e) === key) return S.c(value ? 1 : 0);
    switch (e.k) {
      case "const": case "var": case "load": return e;
      case "un": return S.un(e.op, go(e.x));
      case "bin": return S.bin(e.op, go(e.a), go(e.b));
      case "select": return S.select(go(e.c), go(e.a), go(e.b));
    }
  };
  return simplify(go(x));
}

/** IEEE-exact identities that versioning exposes: max(x, −∞) = x, min(x, +∞) = x. */
function simplify(x: Sx): Sx {
  return S.rewrite(x, (e) => {
    if (e.k !== "bin" || (e.op !== "max" && e.op !== "min")) return undefined;
    const id = e.op === "max" ? -Infinity : Infinity;
    if (e.b.k === "const" && e.b.v === id) return e.a;
    if (e.a.k === "const" && e.a.v === id) return e.b;
    return undefined;
  });
}

/** Select conditions free of `v` and of the accumulators: constant per instance and point of the outer loops. */
function scalarConditions(xs: readonly Sx[], v: string, accs: readonly string[]): Sx[] {
  const count = new Map<string, { c: Sx; n: number }>();
  const visit = (e: Sx) => {
    if (e.k === "select" && e.c.k !== "const" && !mentions(e.c, v) && !accs.some((a) => mentions(e.c, a))) {
      const k = keyOf(e.c);
      count.set(k, { c: e.c, n: (count.get(k)?.n ?? 0) + 1 });
    }
    for (const ch of S.children(e)) visit(ch);
  };
  xs.forEach(visit);
  return [...count.values()].sort((a, b) => b.n - a.n).map((e) => e.c);
}

/**
 * w·select(w ≥ 0, a, b) with a, b free of v: equal to max(w·a, w·b) where a ≥ b (and both are
 * finite), since multiplying by w keeps or reverses their order with w's sign; select(w ≥ 0, b, a)
 * gives the min. Returns the (a, b) pairs found.
 */
function signSelects(x: Sx, v: string): { a: Sx; b: Sx }[] {
  const out: { a: Sx; b: Sx }[] = [];
  const visit = (e: Sx) => {
    const m = matchSignSelect(e, v);
    if (m) out.push(m);
    for (const ch of S.children(e)) visit(ch);
  };
  visit(x);
  return out;
}

function matchSignSelect(e: Sx, v: string): { w: Sx; a: Sx; b: Sx } | undefined {
  if (e.k !== "bin" || e.op !== "mul") return undefined;
  for (const [w, sel] of [[e.a, e.b], [e.b, e.a]] as const) {
    if (sel.k !== "select" || !mentions(w, v) || mentions(sel.a, v) || mentions(sel.b, v)) continue;
    const c = sel.c;
    const wk = keyOf(w);
    const isPos = c.k === "bin" && ((c.op === "ge" && keyOf(c.a) === wk && c.b.k === "const" && c.b.v === 0) || (c.op === "le" && keyOf(c.b) === wk && c.a.k === "const" && c.a.v === 0));
    if (isPos) return { w, a: sel.a, b: sel.b };
  }
  return undefined;
}

/** Rewrites the sign-selects of the pair (a, b) assuming a ≥ b, both finite. */
function orderedSigns(x: Sx, v: string, a: Sx, b: Sx): Sx {
  const [ka, kb] = [keyOf(a), keyOf(b)];
  return S.rewrite(x, (e) => {
    const m = matchSignSelect(e, v);
    if (!m) return undefined;
    const [ma, mb] = [keyOf(m.a), keyOf(m.b)];
    if (ma === ka && mb === kb) return S.max(S.mul(m.w, a), S.mul(m.w, b));
    if (ma === kb && mb === ka) return S.min(S.mul(m.w, a), S.mul(m.w, b));
    return undefined;
  });
}

const finite = (x: Sx): Sx => S.eq(S.sub(x, x), 0);

export class KernelCompiler {
  readonly #F: "f32" | "f64";
  readonly #VX: "f32x4" | "f64x2";
  readonly L: number;
  readonly #math = new Map<string, number>();
  /** `unaryOps`: the scalar functions the kernels use (only those are imported). */
  constructor(
    readonly mod: ModuleBuilder,
    readonly layout: WasmLayout,
    unaryOps: ReadonlySet<string>,
  ) {
    this.#F = layout.precision;
    this.#VX = layout.precision === "f32" ? "f32x4" : "f64x2";
    this.L = layout.precision === "f32" ? 4 : 2;
    // f64 lanes call the host's Math per lane (exact, as the JS loops); f32 lanes use polynomials.
    for (const name of hostImports(layout.precision, unaryOps)) this.#math.set(name, mod.importFunc(name, ["f64"], ["f64"]));

  }

  /** Kernels that fill caches, to run once the parameters are in memory. */
  readonly prep: { name: string; extent: number }[] = [];
  /** Cache by canonical expression; null where its prep kernel could not be compiled. */
  readonly #caches = new Map<string, string | null>();
  readonly #cacheDefs = new Map<string, { canon: Sx; vars: string[] }>();

  /** The definition of a cache load (its expression at the load's indices). */
  unfold(x: Sx): Sx | undefined {
    if (x.k !== "load") return undefined;
    const def = this.#cacheDefs.get(x.ref);
    if (!def) return undefined;
    return S.substitute(def.canon, Object.fromEntries(def.vars.map((v, a) => [v, x.index[a]!])));
  }

  /**
   * Transcendental subexpressions that read only constant buffers (log|w| of a weight, say) are
   * computed once into a cache by a prep kernel, and loaded instead.
   */
  #materialize(k: Kernel): Kernel {
    const costly = new Set(["exp", "log", "log1p", "tanh", "erf", "sin", "cos", "sigmoid"]);
    const ext = new Map(k.vars.map((iv) => [iv.name, iv.extent]));
    const constOnly = (x: Sx): boolean =>
      x.k === "load" ? this.layout.isConst(x.ref) && x.index.every(constOnly) : x.k === "var" ? (ext.get(x.name) ?? 0) > 1 : S.children(x).every(constOnly);
    const cacheOf = (x: Sx): Sx | undefined => {
      const vars = k.vars.filter((iv) => iv.extent > 1 && mentions(x, iv.name));
      const size = vars.reduce((p, iv) => p * iv.extent, 1);
      if (vars.length === 0 || size > 1 << 24 || S.loadsOf(x).length === 0) return undefined;
      // Canonical names, so equal expressions over equal extents share one cache.
      const canon = S.substitute(x, Object.fromEntries(vars.map((iv, a) => [iv.name, S.v(`c${a}`)])));
      const key = `${keyOf(canon)}@${vars.map((iv) => iv.extent).join(",")}`;
      if (this.#caches.has(key) && this.#caches.get(key) === null) return undefined;
      let name = this.#caches.get(key) ?? undefined;
      if (!name) {
        name = `cache${this.#caches.size}`;
        const cvars = vars.map((iv, a) => ({ name: `c${a}`, extent: iv.extent }));
        const fill: Kernel = { name: `prep_${name}`, comment: `${name} = ${S.showSx(canon)}`, vars: cvars, targets: [name], index: cvars.map((iv) => S.v(iv.name)), update: [canon] };
        // The cache exists only if its prep kernel compiles (a JS fallback could not fill it).
        this.layout.addBuffer(name, cvars.map((iv) => iv.extent));
        const done = this.compile(fill, fill.name, { whole: true });
        if (!done) {
          this.#caches.set(key, null);
          return undefined;
        }
        this.#caches.set(key, name);
        this.#cacheDefs.set(name, { canon, vars: cvars.map((iv) => iv.name) });
        this.prep.push({ name: fill.name, extent: done.extent });
      }
      return S.load(name, vars.map((iv) => S.v(iv.name)));
    };
    const memo = new Map<string, Sx>();
    const go = (x: Sx): Sx => {
      const key = keyOf(x);
      const hit = memo.get(key);
      if (hit) return hit;
      let out: Sx;
      if (x.k === "un" && costly.has(x.op) && constOnly(x)) out = cacheOf(x) ?? x;
      else
        switch (x.k) {
          case "const": case "var": case "load": out = x; break;
          case "un": out = S.un(x.op, go(x.x)); break;
          case "bin": out = S.bin(x.op, go(x.a), go(x.b)); break;
          case "select": out = S.select(go(x.c), go(x.a), go(x.b)); break;
        }
      memo.set(key, out);
      return out;
    };
    return { ...k, update: k.update.map(go) };
  }

  /**
   * Compiles one kernel into an exported function `(lo, hi, scratchBase)` running its outermost
   * loop over [lo, hi) (multiples of `step`); null when it stays a JS loop. `split`: the outermost
   * loop writes disjoint target elements, so [0, extent) may be split across threads.
   */
  compile(k0: Kernel, exportName: string, opts: KernelOptions = {}): CompiledKernel | null {
    const k = k0.name.startsWith("prep_") ? k0 : this.#materialize(k0);
    try {
      const plan = this.#plan(k, opts);
      if (!plan) return null;
      const f = new FuncBuilder(["i32", "i32", "i32"], []);
      new KernelEmitter(this, f, k, plan, opts).emit();
      this.mod.addFunc(f, exportName);
      const outer = plan.levels[0]!;
      const work = plan.levels.reduce((p, lv) => p * lv.extent, 1);
      const tail = plan.tail === undefined ? undefined : tailKernel(k0, plan.v, plan.tail);
      return { note: plan.note, extent: outer.extent, step: outer.step, split: plan.accLevel > 0 || plan.form !== "reduce", work, scratch: plan.form === "lse", ...(tail ? { tail } : {}) };
    } catch (e) {
      if (e instanceof Unsupported) {
        if (process.env["SEMIC_DEBUG_WASM"]) console.error(`kernel ${exportName} stays JS:`, e.stack);
        return null;
      }
      throw e;
    }
  }

  /**
   * Byte offset of a buffer. "@scratch", the kernels' temporaries, is addressed from the kernel's
   * third parameter (each thread has its own region, placed by the module): offset 0 here.
   */
  addr(ref: string): number {
    return ref === SCRATCH ? 0 : this.layout.addr(ref);
  }
  /** Bytes of scratch the compiled kernels need (per thread). */
  scratchBytes = 0;

  get F() { return this.#F; }
  get VX() { return this.#VX; }
  mathImport(name: string): number | undefined { return this.#math.get(name); }


  #prep(k: Kernel) {
    const shapeOf = (b: string) => this.layout.shapeOf(b);
    const unit = Object.fromEntries(k.vars.filter((iv) => iv.extent <= 1).map((iv) => [iv.name, S.c(0)]));
    const prep = (x: Sx) => flattenLoads(S.substitute(x, unit), shapeOf);
    return { prep, unit };
  }

  #plan(k: Kernel, opts: KernelOptions): Plan | null {
    if (k.guard) return null;
    const L = this.L;
    const { unit } = this.#prep(k);
    const vars = k.vars.filter((iv) => iv.extent > 1);
    if (vars.length === 0) return null;
    const ext = new Map(vars.map((iv) => [iv.name, iv.extent]));
    // Target: its flat index must be linear in the loop variables and one-to-one (mixed radix), so
    // distinct points of the target variables write distinct elements (reshape's floor terms cancel).
    const tshape = this.layout.shapeOf(k.targets[0]!);
    const tlin = linearize(S.substitute(flatIndex(k.index, tshape), unit));
    const tcoef = new Map<string, number>();
    for (const t of tlin.terms.values()) {
      if (t.atom.k !== "var" || !ext.has(t.atom.name) || t.coef <= 0) return null;
      tcoef.set(t.atom.name, t.coef);
    }
    const tvars = vars.map((iv) => iv.name).filter((n) => tcoef.has(n));
    let span = 0;
    for (const n of [...tvars].sort((a, b) => tcoef.get(a)! - tcoef.get(b)!)) {
      if (tcoef.get(n)! <= span) return null;
      span += tcoef.get(n)! * (ext.get(n)! - 1);
    }
    const lastAxisVar = tvars.find((n) => tcoef.get(n) === 1);
    const red = vars.map((iv) => iv.name).filter((n) => !tvars.includes(n));
    const accs = k.targets.map((_, l) => accVar(l));
    const reads = k.update.some((u) => accs.some((a) => mentions(u, a)));
    if (!reads && red.length > 0) return null;
    const combinable = reads && k.update.every((u, l) => combineOp(u, accs[l]!) !== undefined);
    const { prep } = this.#prep(k);
    const body = k.update.map(prep);
    const loads = [...new Map(body.flatMap((u) => S.loadsOf(u)).map((l) => [keyOf(l), l])).values()] as Extract<Sx, { k: "load" }>[];
    const gathers = (v: string) =>
      loads.filter((l) => {
        if (this.layout.isInt(l.ref)) return mentions(l, v);
        const lin = linearize(l.index[0]!);
        const t = lin.terms.get(`$${v}`);
        const inAtoms = [...lin.terms.entries()].some(([key, t2]) => key !== `$${v}` && mentions(t2.atom, v));
        return inAtoms || (t !== undefined && t.coef !== 1);
      }).length;
    // A vector variable whose extent is not a multiple of L leaves its last points to a JS tail: the
    // map form's v is a target variable (its points write distinct elements) and the reduce form
    // accumulates with ⊕ (any split of the reduction adds up), so either may be cut along v.
    const tailOf = (n: string) => (ext.get(n)! % L === 0 ? 0 : 1);
    const vectorizable = (n: string) => ext.get(n)! >= L && (tailOf(n) === 0 || !opts.whole);
    const cands: { form: "map" | "reduce"; v: string; g: number }[] = [];
    if (lastAxisVar && vectorizable(lastAxisVar))
      cands.push({ form: "map", v: lastAxisVar, g: gathers(lastAxisVar) });
    if (combinable)
      for (const r of red) if (vectorizable(r)) cands.push({ form: "reduce", v: r, g: gathers(r) });
    if (cands.length === 0) return null;
    cands.sort((a, b) => tailOf(a.v) - tailOf(b.v) || a.g - b.g || (a.form === b.form ? 0 : a.form === "map" ? -1 : 1));
    const best = cands[0]!;
    const v = best.v;
    const vExt = ext.get(v)! - (ext.get(v)! % L);
    const tail = vExt < ext.get(v)! ? { tail: vExt } : {};
    // Tiling: target variables whose neighbours share loads.
    const reuse = (t: string) =>
      loads.filter((l) => !this.layout.isInt(l.ref) && !mentions(l, t) && mentions(l, v)).length + 0.25 * loads.filter((l) => !mentions(l, t) && !mentions(l, v)).length;
    const lanes = k.targets.length;
    const divides = (n: number, opts: number[]) => opts.find((o) => n % o === 0) ?? 1;
    const tileCands = tvars.filter((t) => t !== v && reuse(t) > 0).sort((a, b) => reuse(b) - reuse(a));
    const order = (names: string[]) => vars.map((iv) => iv.name).filter((n) => names.includes(n));
    const mkLevel = (name: string, step: number): Level => ({ name, extent: name === v ? vExt : ext.get(name)!, step, local: -1 });
    const instances: Record<string, Sx>[] = [];
    const groupOf: number[] = [];
    if (best.form === "map") {
      const t = red.length > 0 ? tileCands[0] : undefined;
      // Rows share vector loads; wider blocks share each row's per-point scalars. Multi-lane updates
      // carry more per-row scalar work (and registers), so they take one row and a wider block.
      const maxRB = lanes > 1 ? 1 : Math.max(1, Math.floor(ACC_BUDGET / lanes));
      const RB = t ? divides(ext.get(t)!, [4, 2, 1].filter((x) => x <= maxRB)) : 1;
      const maxUB = Math.max(1, Math.floor(ACC_BUDGET / (lanes * RB)));
      const UB = red.length > 0 ? divides(vExt / L, [4, 2, 1].filter((x) => x <= maxUB)) : divides(vExt / L, [2, 1]);
      const outer = order(tvars.filter((n) => n !== v && n !== t));
      const levels = [...outer.map((n) => mkLevel(n, 1)), ...(t ? [mkLevel(t, RB)] : []), mkLevel(v, L * UB), ...order(red).map((n) => mkLevel(n, 1))];
      for (let rb = 0; rb < RB; rb++)
        for (let u = 0; u < UB; u++) {
          const env: Record<string, Sx> = {};
          if (t && rb > 0) env[t] = S.add(S.v(t), rb);
          if (u > 0) env[v] = S.add(S.v(v), u * L);
          instances.push(env);
          groupOf.push(rb);
        }
      const accLevel = outer.length + (t ? 1 : 0) + 1;
      // ⊕ = + and a separable term: per-row sums, then one pass over v.
      if (reads && red.length > 0 && body.every((u, l) => combineOp(u, accs[l]!)?.op === "add")) {
        const redSet = new Set(red);
        const lanesM = body.map((u, l) => separate(combineOp(u, accs[l]!)!.term, redSet, v));
        const deltaOk = (ms: Monomial[]) => ms.every((m) => !m.delta || ext.get(m.delta) === ext.get(v));
        if (lanesM.every((ms) => ms && deltaOk(ms) && ms.some((m) => !m.delta && m.factors.some((f) => [...varsOf(f)].some((x) => redSet.has(x)))))) {
          const sepLevels = levels.slice(0, accLevel);
          const note = `${this.#VX} over ${v}, separable sums over ${order(red).join(",")} first${t && RB > 1 ? `, tile ${t}×${RB}` : ""}${UB > 1 ? `, ${v}×${UB * L}` : ""}`;
          return { form: "sep", sep: { lanes: lanesM as Monomial[][], red: order(red).map((n) => mkLevel(n, 1)) }, v, levels: sepLevels, instances, accLevel, groupOf, note, ...tail };
        }
      }
      // Not ⊙-combinable but a log-sum-exp ⊕: accumulate scaled sums.
      const zeroOf = opts.zeroOf;
      const zero = zeroOf && k.targets.every((b) => zeroOf.has(b)) ? k.targets.map((b) => zeroOf.get(b)!) : undefined;
      // (on the multi-index form, so cache loads can be unfolded before flattening)
      const raw = k.update.map((u) => S.substitute(u, unit));
      const plus = opts.traits?.plus;
      const lse = reads && !combinable && red.length > 0 && zero && plus ? lseTerms(raw, accs, plus, zero) : undefined;
      const form = lse ? "lse" : "map";
      const note = `${this.#VX} over ${v}${red.length ? `, reducing ${order(red).join(",")}${lse ? " as log-sum-exp sums" : ""}` : ""}${t && RB > 1 ? `, tile ${t}×${RB}` : ""}${UB > 1 ? `, ${v}×${UB * L}` : ""}`;
      return { form, lse, v, levels, instances, accLevel, groupOf, note, ...tail };
    }
    const [t1, t2] = tileCands;
    const T1 = t1 ? divides(ext.get(t1)!, [4, 2, 1].filter((x) => x * lanes <= ACC_BUDGET)) : 1;
    const T2 = t2 ? divides(ext.get(t2)!, [4, 2, 1].filter((x) => x * T1 * lanes <= ACC_BUDGET)) : 1;
    const tiled = [t1, t2].filter((x): x is string => x !== undefined);
    const outer = order(tvars.filter((n) => !tiled.includes(n)));
    const levels = [
      ...outer.map((n) => mkLevel(n, 1)),
      ...(t1 ? [mkLevel(t1, T1)] : []),
      ...(t2 ? [mkLevel(t2, T2)] : []),
      ...order(red.filter((n) => n !== v)).map((n) => mkLevel(n, 1)),
      mkLevel(v, L),
    ];
    for (let a = 0; a < T1; a++)
      for (let b = 0; b < T2; b++) {
        const env: Record<string, Sx> = {};
        if (a > 0) env[t1!] = S.add(S.v(t1!), a);
        if (b > 0) env[t2!] = S.add(S.v(t2!), b);
        instances.push(env);
        groupOf.push(0);
      }
    const accLevel = outer.length + tiled.length;
    const tiles = [t1 && T1 > 1 ? `${t1}×${T1}` : "", t2 && T2 > 1 ? `${t2}×${T2}` : ""].filter(Boolean);
    const note = `${this.#VX} reducing over ${v}${tiles.length ? `, tile ${tiles.join(" ")}` : ""}`;
    return { form: "reduce", v, levels, instances, accLevel, groupOf, note, ...tail };
  }
}

// ---------------------------------------------------------------- one kernel's emission

class KernelEmitter {
  readonly #nodes: Node[] = [];
  readonly #memo = new Map<string, Node>();
  readonly #sxIds = new Map<string, number>();
  /** A small id per distinct expression (its structural key is looked up once, not concatenated). */
  #sx(x: Sx): number {
    const k = keyOf(x);
    let id = this.#sxIds.get(k);
    if (id === undefined) {
      id = this.#sxIds.size;
      this.#sxIds.set(k, id);
    }
    return id;
  }
  readonly #depthOfVar = new Map<string, number>();
  readonly #levelOfVar = new Map<string, Level>();
  readonly #accLocal = new Map<string, number>();
  /** Scalar locals read as variables (log-sum-exp references M). */
  readonly #scalarLocal = new Map<string, { local: number; depth: number }>();
  readonly F: "f32" | "f64";
  readonly VX: "f32x4" | "f64x2";
  readonly L: number;
  readonly n: number;

  constructor(
    readonly c: KernelCompiler,
    readonly f: FuncBuilder,
    readonly k: Kernel,
    readonly plan: Plan,
    readonly opts: KernelOptions,
  ) {
    this.F = c.F;
    this.VX = c.VX;
    this.L = c.L;
    this.n = plan.levels.length;
    plan.levels.forEach((lv, d) => {
      this.#depthOfVar.set(lv.name, d + 1);
      this.#levelOfVar.set(lv.name, lv);
      lv.local = f.local("i32");
    });
    // sep: the reduction loops run only in the per-row pre-pass, deeper than any main-loop node.
    for (const lv of plan.sep?.red ?? []) {
      this.#depthOfVar.set(lv.name, this.n + 1);
      this.#levelOfVar.set(lv.name, lv);
      lv.local = f.local("i32");
    }
  }

  get #v() { return this.plan.v; }

  // ---------------------------------------------------------------- node construction

  #node(key: string, kind: Kind, deps: Node[], gen: () => void, opts: { depth?: number; trivial?: boolean } = {}): Node {
    const hit = this.#memo.get(key);
    if (hit) return hit;
    const depth = Math.max(opts.depth ?? 0, ...deps.map((d) => d.depth));
    const node: Node = { id: this.#nodes.length, key, kind, depth, deps, gen, trivial: opts.trivial ?? false, uses: 0, group: -2 };
    this.#nodes.push(node);
    this.#memo.set(key, node);
    return node;
  }

  /** Pushes a node's value. */
  use(n: Node): void {
    if (n.local !== undefined) this.f.get(n.local);
    else n.gen();
  }

  #fconst(v: number): Node {
    return this.#node(`fc:${Object.is(v, -0) ? "-0" : v}`, "f", [], () => (this.F === "f32" ? this.f.f32(v) : this.f.f64(v)), { trivial: true });
  }
  #vconst(vs: number[]): Node {
    return this.#node(`vc:${vs.join(",")}`, "v", [], () => (this.F === "f32" ? this.f.v128f32(vs) : this.f.v128f64(vs)), { trivial: true });
  }
  #splatConst(v: number): Node {
    return this.#vconst(new Array<number>(this.L).fill(v));
  }
  #iconst(v: number): Node {
    return this.#node(`ic:${v}`, "i", [], () => this.f.i32(v), { trivial: true });
  }

  #fop(op: string): ScalarOp {
    return `${this.F}.${op}` as ScalarOp;
  }
  #vop(op: string): SimdOp {
    return `${this.VX}.${op}` as SimdOp;
  }

  /** Vector form of a scalar float node. */
  #vec(x: Node): Node {
    if (x.kind === "v") return x;
    if (x.kind === "m") return this.#maskToNum(x);
    if (x.kind === "b") return this.#vec(this.#boolToNum(x));
    if (x.kind === "i") return this.#vec(this.#intToNum(x));
    const fc = x.key.startsWith("fc:") ? Number(x.key.slice(3)) : undefined;
    if (fc !== undefined) return this.#splatConst(fc);
    return this.#node(`splat(#${x.id})`, "v", [x], () => {
      this.use(x);
      this.f.simd(this.#vop("splat"));
    });
  }
  #mask(x: Node): Node {
    if (x.kind === "m") return x;
    const b = x.kind === "b" ? x : this.#bool(x);
    if (b.kind === "m") return b;
    return this.#node(`smask(#${b.id})`, "m", [b], () => {
      this.f.i32(0);
      this.use(b);
      this.f.op("i32.sub").simd("i32x4.splat");
    });
  }
  #intToNum(x: Node): Node {
    return this.#node(`i2f(#${x.id})`, "f", [x], () => {
      this.use(x);
      this.f.op(this.#fop("convert_i32_s"));
    });
  }
  #boolToNum(x: Node): Node {
    if (x.kind === "m") return this.#maskToNum(x);
    return this.#node(`b2f(#${x.id})`, "f", [x], () => {
      this.use(x);
      this.f.op(this.#fop("convert_i32_s"));
    });
  }
  #maskToNum(x: Node): Node {
    const one = this.#splatConst(1);
    return this.#node(`m2f(#${x.id})`, "v", [x, one], () => {
      this.use(x);
      this.use(one);
      this.f.simd("v128.and");
    });
  }
  /** A numeric node as a condition (≠ 0). */
  #bool(x: Node): Node {
    if (x.kind === "b" || x.kind === "m") return x;
    if (x.kind === "i")
      return this.#node(`i2b(#${x.id})`, "b", [x], () => {
        this.use(x);
        this.f.i32(0).op("i32.ne");
      });
    if (x.kind === "v") {
      const z = this.#splatConst(0);
      return this.#node(`vne0(#${x.id})`, "m", [x, z], () => {
        this.use(x);
        this.use(z);
        this.f.simd(this.#vop("ne"));
      });
    }
    const z = this.#fconst(0);
    return this.#node(`fne0(#${x.id})`, "b", [x, z], () => {
      this.use(x);
      this.use(z);
      this.f.op(this.#fop("ne"));
    });
  }
  #num(x: Node): Node {
    if (x.kind === "b") return this.#boolToNum(x);
    if (x.kind === "m") return this.#maskToNum(x);
    if (x.kind === "i") return this.#intToNum(x);
    return x;
  }

  // ---------------------------------------------------------------- index expressions (i32)

  idx(x: Sx): Node {
    const key = `I${this.#sx(x)}`;
    const hit = this.#memo.get(key);
    if (hit) return hit;
    switch (x.k) {
      case "const":
        if (!Number.isInteger(x.v)) throw new Unsupported();
        return this.#iconst(x.v);
      case "var": {
        const lv = this.#levelOfVar.get(x.name);
        if (!lv) throw new Unsupported();
        return this.#node(key, "i", [], () => this.f.get(lv.local), { depth: this.#depthOfVar.get(x.name)!, trivial: true });
      }
      case "load": {
        if (!this.c.layout.isInt(x.ref)) throw new Unsupported();
        const addr = this.#scalarAddr(x.ref, x.index[0]!, 4);
        return this.#node(key, "i", [addr.base], () => {
          this.use(addr.base);
          this.f.mem("i32.load", addr.offset);
        });
      }
      case "un": {
        if (x.op === "neg") {
          const a = this.idx(x.x);
          return this.#node(key, "i", [a], () => {
            this.f.i32(0);
            this.use(a);
            this.f.op("i32.sub");
          });
        }
        if (x.op === "floor" && x.x.k === "bin" && x.x.op === "div" && x.x.b.k === "const" && Number.isInteger(x.x.b.v) && x.x.b.v > 0) {
          // Indices are non-negative: floor division is truncating division.
          const a = this.idx(x.x.a);
          const d = x.x.b.v;
          return this.#node(key, "i", [a], () => {
            this.use(a);
            this.f.i32(d).op("i32.div_s");
          });
        }
        throw new Unsupported();
      }
      case "bin": {
        const ops: Partial<Record<string, ScalarOp>> = { add: "i32.add", sub: "i32.sub", mul: "i32.mul" };
        const op = ops[x.op];
        if (!op) throw new Unsupported();
        const a = this.idx(x.a), b = this.idx(x.b);
        return this.#node(key, "i", [a, b], () => {
          this.use(a);
          this.use(b);
          this.f.op(op);
        });
      }
      default:
        throw new Unsupported();
    }
  }

  /** Byte address of element `index` of a buffer: a base node plus a constant memarg offset. */
  #scalarAddr(ref: string, index: Sx, size: number): { base: Node; offset: number } {
    const lin = linearize(index);
    const bufAddr = this.c.addr(ref);
    const withOffset = bufAddr + size * lin.c >= 0;
    const rest = linToSx(lin, !withOffset);
    const offset = withOffset ? bufAddr + size * lin.c : bufAddr;
    const base = this.#byteAddr(rest, size);
    if (ref !== SCRATCH) return { base, offset };
    // Each thread has its own scratch region, at param 2.
    return {
      base: this.#node(`sb(#${base.id})`, "i", [base], () => {
        this.use(base);
        this.f.get(2).op("i32.add");
      }),
      offset,
    };
  }
  #byteAddr(rest: Sx, size: number): Node {
    if (rest.k === "const") return this.#iconst(rest.v * size);
    const r = this.idx(rest);
    const sh = size === 8 ? 3 : size === 4 ? 2 : 0;
    return this.#node(`addr${size}(#${r.id})`, "i", [r], () => {
      this.use(r);
      this.f.i32(sh).op("i32.shl");
    });
  }

  // ---------------------------------------------------------------- float expressions

  #esize() {
    return this.F === "f32" ? 4 : 8;
  }

  #load(x: Extract<Sx, { k: "load" }>): Node {
    const v = this.#v;
    const index = x.index[0]!;
    if (x.ref !== SCRATCH && this.c.layout.isInt(x.ref)) {
      if (mentions(index, v)) return this.#gather(x);
      return this.#intToNum(this.idx(x));
    }
    const lin = linearize(index);
    const vt = lin.terms.get(`$${v}`);
    const inAtoms = [...lin.terms.entries()].some(([key, t]) => key !== `$${v}` && mentions(t.atom, v));
    const es = this.#esize();
    const loadOp = this.F === "f32" ? "f32.load" : "f64.load";
    if (!vt && !inAtoms) {
      const a = this.#scalarAddr(x.ref, index, es);
      return this.#node(`F${this.#sx(x)}`, "f", [a.base], () => {
        this.use(a.base);
        this.f.mem(loadOp, a.offset);
      });
    }
    if (vt && vt.coef === 1 && !inAtoms) {
      const a = this.#scalarAddr(x.ref, index, es);
      return this.#node(`V${this.#sx(x)}`, "v", [a.base], () => {
        this.use(a.base);
        this.f.mem("v128.load", a.offset);
      });
    }
    return this.#gather(x);
  }

  /** Lane by lane: the load with the vector variable at v + l. */
  #gather(x: Extract<Sx, { k: "load" }>): Node {
    const v = this.#v;
    const int = x.ref !== SCRATCH && this.c.layout.isInt(x.ref);
    const es = int ? 4 : this.#esize();
    const addrs = [...Array(this.L).keys()].map((l) => this.#scalarAddr(x.ref, S.substitute(x.index[0]!, { [v]: S.add(S.v(v), l) }), es));
    const loadOp: ScalarOp = int ? "i32.load" : this.F === "f32" ? "f32.load" : "f64.load";
    return this.#node(`G${this.#sx(x)}`, "v", addrs.map((a) => a.base), () => {
      addrs.forEach((a, l) => {
        this.use(a.base);
        this.f.mem(loadOp, a.offset);
        if (int) this.f.op(this.#fop("convert_i32_s"));
        // The vector so far is under the lane value: (vector, scalar) is replace_lane's order.
        if (l === 0) this.f.simd(this.#vop("splat"));
        else this.f.lane(this.#vop("replace_lane"), l);
      });
    });
  }

  readonly #scratchLocals = new Map<string, number>();
  #scratch(t: "f32" | "f64" | "v128" | "i32", tag = ""): number {
    const key = `${t}${tag}`;
    let i = this.#scratchLocals.get(key);
    if (i === undefined) {
      i = this.f.local(t);
      this.#scratchLocals.set(key, i);
    }
    return i;
  }

  /** The value of variable `name` as a number (the vector variable: one lane index per lane). */
  #varNum(name: string): Node {
    const sl = this.#scalarLocal.get(name);
    if (sl) return this.#node(`sl:${name}`, "f", [], () => this.f.get(sl.local), { depth: sl.depth, trivial: true });
    if (this.#accLocal.has(name)) {
      const local = this.#accLocal.get(name)!;
      return this.#node(`acc:${name}`, "v", [], () => this.f.get(local), { depth: this.n, trivial: true });
    }
    const i = this.idx(S.v(name));
    if (name !== this.#v) return this.#intToNum(i);
    const base = this.#vec(this.#intToNum(i));
    const lanes = this.#vconst([...Array(this.L).keys()]);
    return this.#node(`lanes(${name})`, "v", [base, lanes], () => {
      this.use(base);
      this.use(lanes);
      this.f.simd(this.#vop("add"));
    });
  }

  num(x: Sx): Node {
    const key = `N${this.#sx(x)}`;
    const hit = this.#memo.get(key);
    if (hit) return hit;
    switch (x.k) {
      case "const": return this.#fconst(x.v);
      case "var": return this.#varNum(x.name);
      case "load": return this.#load(x);
      case "select": {
        const c = this.cond(x.c);
        const a = this.num(x.a), b = this.num(x.b);
        if (c.kind === "b" && a.kind === "f" && b.kind === "f")
          return this.#node(key, "f", [a, b, c], () => {
            this.use(a);
            this.use(b);
            this.use(c);
            this.f.op("select");
          });
        const va = this.#vec(a), vb = this.#vec(b), m = this.#mask(c);
        return this.#node(key, "v", [va, vb, m], () => {
          this.use(va);
          this.use(vb);
          this.use(m);
          this.f.simd("v128.bitselect");
        });
      }
      case "un": return this.#unary(x, key);
      case "bin": return this.#binary(x, key);
    }
  }

  #unary(x: Extract<Sx, { k: "un" }>, key: string): Node {
    switch (x.op) {
      case "not": case "isneginf": return this.#num(this.cond(x));
      case "rsqrt": return this.num(S.div(1, S.sqrt(x.x)));
      case "sigmoid": return this.num(S.div(1, S.add(1, S.exp(S.neg(x.x)))));
      case "neg": case "abs": case "sqrt": case "floor": {
        const a = this.num(x.x);
        return this.#node(key, a.kind === "v" ? "v" : "f", [a], () => {
          this.use(a);
          if (a.kind === "v") this.f.simd(this.#vop(x.op));
          else this.f.op(this.#fop(x.op));
        });
      }
      default: break;
    }
    const imp = this.c.mathImport(x.op);
    if (imp !== undefined) return this.#perLane(imp, this.num(x.x), key);
    // f32 lanes: polynomial exp and log, and the rest through them. (An f64 function without its
    // import stays JS: the polynomials are f32x4 code.)
    if (this.F !== "f32") throw new Unsupported();
    switch (x.op) {
      case "exp": case "log":
        return this.#vinline(x.op === "exp" ? emitExpF32 : emitLogF32, this.num(x.x), key);
      case "log1p": return this.num(S.log(S.add(1, x.x)));
      case "tanh": return this.num(S.sub(1, S.div(2, S.add(S.exp(S.mul(2, x.x)), 1))));
      case "erf": {
        // The same Numerical Recipes fit as the JS helper.
        const z = S.abs(x.x);
        const t = S.div(1, S.add(1, S.mul(0.5, z)));
        const coeffs = [-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368];
        let p: Sx = S.c(0.17087277);
        for (const cf of coeffs) p = S.add(cf, S.mul(t, p));
        const r = S.mul(t, S.exp(S.add(S.sub(S.neg(S.mul(z, z)), 1.26551223), S.mul(t, p))));
        return this.num(S.select(S.ge(x.x, 0), S.sub(1, r), S.sub(r, 1)));
      }
      default: throw new Unsupported();
    }
  }

  /**
   * An f32x4 function emitted inline (a call would make V8 spill every live vector register),
   * applied to a vector, or to a scalar through lane 0.
   */
  #vinline(body: (f: FuncBuilder, x: number) => void, a: Node, key: string): Node {
    const va = this.#vec(a);
    return this.#node(key, a.kind === "v" ? "v" : "f", [va], () => {
      const x = this.f.local("v128");
      this.use(va);
      this.f.set(x);
      body(this.f, x);
      if (a.kind !== "v") this.f.lane(this.#vop("extract_lane"), 0);
    });
  }

  /** A host f64 → f64 function, lane by lane. */
  #perLane(fn: number, a: Node, key: string): Node {
    const toHost = () => this.F === "f32" && this.f.op("f64.promote_f32");
    const fromHost = () => this.F === "f32" && this.f.op("f32.demote_f64");
    if (a.kind !== "v")
      return this.#node(key, "f", [a], () => {
        this.use(a);
        toHost();
        this.f.call(fn);
        fromHost();
      });
    return this.#node(key, "v", [a], () => {
      const src = this.f.local("v128");
      const dst = this.f.local("v128");
      this.use(a);
      this.f.set(src);
      for (let l = 0; l < this.L; l++) {
        if (l > 0) this.f.get(dst);
        this.f.get(src).lane(this.#vop("extract_lane"), l);
        toHost();
        this.f.call(fn);
        fromHost();
        if (l === 0) this.f.simd(this.#vop("splat"));
        else this.f.lane(this.#vop("replace_lane"), l);
        this.f.set(dst);
      }
      this.f.get(dst);
    });
  }

  #binary(x: Extract<Sx, { k: "bin" }>, key: string): Node {
    const arith = ["add", "sub", "mul", "div", "max", "min"];
    if (!arith.includes(x.op)) return this.#num(this.cond(x));
    const a = this.num(x.a), b = this.num(x.b);
    if (a.kind === "f" && b.kind === "f")
      return this.#node(key, "f", [a, b], () => {
        this.use(a);
        this.use(b);
        this.f.op(this.#fop(x.op));
      });
    const va = this.#vec(a), vb = this.#vec(b);
    return this.#node(key, "v", [va, vb], () => {
      this.use(va);
      this.use(vb);
      this.f.simd(this.#vop(vecOp(x.op)));
    });
  }

  cond(x: Sx): Node {
    const key = `B${this.#sx(x)}`;
    const hit = this.#memo.get(key);
    if (hit) return hit;
    if (x.k === "un" && x.op === "not") {
      const a = this.cond(x.x);
      return this.#node(key, a.kind, [a], () => {
        this.use(a);
        if (a.kind === "m") this.f.simd("v128.not");
        else this.f.op("i32.eqz");
      });
    }
    if (x.k === "un" && x.op === "isneginf") return this.cond(S.eq(x.x, S.NEG_INF));
    if (x.k === "bin" && (x.op === "and" || x.op === "or")) {
      const a = this.cond(x.a), b = this.cond(x.b);
      if (a.kind === "b" && b.kind === "b")
        return this.#node(key, "b", [a, b], () => {
          this.use(a);
          this.use(b);
          this.f.op(x.op === "and" ? "i32.and" : "i32.or");
        });
      const ma = this.#mask(a), mb = this.#mask(b);
      return this.#node(key, "m", [ma, mb], () => {
        this.use(ma);
        this.use(mb);
        this.f.simd(x.op === "and" ? "v128.and" : "v128.or");
      });
    }
    const cmp: Record<string, string> = { lt: "lt", le: "le", gt: "gt", ge: "ge", eq: "eq", ne: "ne" };
    if (x.k === "bin" && cmp[x.op]) {
      const a = this.num(x.a), b = this.num(x.b);
      if (a.kind === "f" && b.kind === "f")
        return this.#node(key, "b", [a, b], () => {
          this.use(a);
          this.use(b);
          this.f.op(this.#fop(cmp[x.op]!));
        });
      const va = this.#vec(a), vb = this.#vec(b);
      return this.#node(key, "m", [va, vb], () => {
        this.use(va);
        this.use(vb);
        this.f.simd(this.#vop(cmp[x.op]!));
      });
    }
    return this.#bool(this.num(x));
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
    const es = this.#esize();
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
        if (mono.delta) for (const x of mono.factors) term = S.mul(term, S.substitute(x, { [mono.delta]: S.v(this.#v) }));
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
            if (!mono.delta) this.#scalarLocal.set(sumName(l, m, g), { local: f.local(F), depth: plan.accLevel - 1 });
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
          this.#accLocal.set(name, local);
          accLocals.push(local);
          accEnv[a] = S.v(name);
        }
      });
      const addrs = k.targets.map((buf) => this.#scalarAddr(buf, tgt, es));
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
      this.c.scratchBytes = Math.max(this.c.scratchBytes, need);
    }
    const scaleOf = (g: number) => S.load(SCRATCH, [S.add(redFlat, g * redSize)]);
    // lse terms are on multi-index loads: A's exponential is simplified, then loads are flattened.
    const lseParts = (env: Record<string, Sx>) => {
      const tL = S.substitute(lse!.terms[lse!.lse]!, env);
      const parts = summands(tL);
      const sum = (xs: { sign: number; x: Sx }[]) => xs.reduce<Sx>((a, t) => (t.sign > 0 ? S.add(a, t.x) : S.sub(a, t.x)), S.c(0));
      const A = sum(parts.filter((t) => mentions(t.x, this.#v)));
      return { expA: prep(expOf(A, (x) => this.c.unfold(x))), B: prep(sum(parts.filter((t) => !mentions(t.x, this.#v)))) };
    };
    const mapVersioned = plan.form === "map" && reads && !inPlace;
    const roots: Node[][] = mapVersioned ? [] : inst.map((it, i) => {
      if (lse) {
        const env = plan.instances[i]!;
        const omega = S.mul(lseParts(env).expA, scaleOf(it.group));
        return accs.map((_, l) => {
          if (l === lse.lse) return this.#vec(this.num(omega));
          const te = prep(S.substitute(lse.terms[l]!, env));
          return this.#vec(this.num(S.select(S.eq(omega, 0), 0, S.mul(omega, te))));
        });
      }
      return it.ups.map((u, l) => this.#vec(this.num(plan.form === "reduce" ? combineOp(u, `@${accs[l]}_${i}`)!.term : u)));
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
        if (adj.length === 0 || adj.some((l) => mentions(l, this.#v))) continue;
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
              return x.k === "var" && x.name === `@${accs[l]}_${i}` ? null : this.#vec(this.num(x));
            }));
          blockRoots.set(block, rs);
          return { block };
        };
        // Only where the semiring declares a linear ⊗ whose lanes a negative weight swaps (maxprod, topk).
        const sign = this.opts.traits?.sign.kind === "signed" && this.opts.traits.scale === "linear";
        const withPairs = (rewrite: (x: Sx) => Sx): Tree => {
          const pair = !sign ? undefined : members.flatMap(({ it }) => it.ups.flatMap((u) => signSelects(rewrite(u), this.#v)))[0];
          if (!pair) return leaf(rewrite);
          const c2 = S.and(S.and(S.ge(pair.a, pair.b), finite(pair.a)), finite(pair.b));
          const cond = this.cond(c2);
          if (cond.kind !== "b") return leaf(rewrite);
          return { cond, then: leaf((x) => orderedSigns(rewrite(x), this.#v, pair.a, pair.b)), else: leaf(rewrite) };
        };
        const c1 = scalarConditions(members.flatMap(({ it }) => it.ups), this.#v, accNames)[0];
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
      for (const nd of this.#nodes) {
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
          this.use(this.#vec(this.num(S.exp(S.sub(oldLane(it, lse.lse, i), M)))));
          const z = it.accLocals[lse.lse]!;
          f.set(z);
          const Z = S.v(`@${accs[lse.lse]}_${i}`);
          it.accLocals.forEach((acc, l) => {
            if (l === lse.lse) return;
            this.use(this.#vec(this.num(S.select(S.eq(Z, 0), 0, S.mul(Z, oldLane(it, l, i))))));
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
          const nodes = values.map((x) => this.#vec(this.num(x)));
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
            f.get(acc).lane(this.#vop("extract_lane"), ln);
            f.op(this.#fop(ops[l]!));
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
                  const tmp = this.#scratch("v128", `n${l}`);
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
              f.simd(this.#vop(lse ? "add" : vecOp(ops[l]!))).set(acc);
            });
            return;
          }
          // Every lane reads the old values before any lane is written.
          const news = roots[i]!.map((r, l) => {
            const t = this.#scratch("v128", `n${l}`);
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
        delete env[this.#v];
        sep!.lanes.forEach((monos, l) =>
          monos.forEach((mono, m) => {
            if (mono.delta) return;
            const pr = mono.factors.filter(hasRed).reduce<Sx>((a, x) => S.mul(a, x), S.c(1));
            const local = this.#scalarLocal.get(sumName(l, m, g))!.local;
            if (F === "f32") f.f32(0);
            else f.f64(0);
            f.set(local);
            loopsOver(sep!.red, () => {
              f.get(local);
              this.use(this.num(S.substitute(pr, env)));
              f.op(this.#fop("add")).set(local);
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
        delete env[this.#v];
        const B = lseParts(env).B;
        const M = f.local(F);
        this.#scalarLocal.set(Mname(g), { local: M, depth: plan.accLevel - 1 });
        if (F === "f32") f.f32(-Infinity);
        else f.f64(-Infinity);
        f.set(M);
        loops(plan.accLevel, n, () => 1, () => {
          f.get(M);
          this.use(this.num(B));
          f.op(this.#fop("max")).set(M);
        });
        const row = f.local("v128");
        f.v128f32([0, 0, 0, 0]).set(row);
        if (F === "f32") f.v128f32([-Infinity, -Infinity, -Infinity, -Infinity]).set(row);
        else f.v128f64([-Infinity, -Infinity]).set(row);
        loops(vLevel, vLevel + 1, () => this.L, () => {
          f.get(row);
          this.use(this.#vec(this.num(oldLane(inst[i]!, lse.lse, i))));
          f.simd(this.#vop("pmax")).set(row);
        });
        for (let ln = 0; ln < this.L; ln++) {
          f.get(M).get(row).lane(this.#vop("extract_lane"), ln).op(this.#fop("max")).set(M);
        }
        // No path at all: any finite reference.
        f.get(M);
        if (F === "f32") f.f32(-Infinity);
        else f.f64(-Infinity);
        f.op(this.#fop("eq")).open("if");
        if (F === "f32") f.f32(0);
        else f.f64(0);
        f.set(M).end();
        loops(plan.accLevel, n, () => 1, () => {
          const a = this.#scalarAddr(SCRATCH, S.add(redFlat, g * redSize), es);
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

// ---------------------------------------------------------------- f32x4 exp and log (Cephes)

/** e^x of the vector in local x (overwritten), left on the stack. */
function emitExpF32(f: FuncBuilder, x: number): void {
  const n = f.local("v128"), y = f.local("v128");
  const splat = (v: number) => f.v128f32([v, v, v, v]);
  // x = clamp(x); n = floor(x·log2e + ½)
  f.get(x);
  splat(88.3762626647949);
  f.simd("f32x4.min");
  splat(-88.3762626647949);
  f.simd("f32x4.max").set(x);
  f.get(x);
  splat(Math.LOG2E);
  f.simd("f32x4.mul");
  splat(0.5);
  f.simd("f32x4.add").simd("f32x4.floor").set(n);
  // r = x − n·C1 − n·C2
  f.get(x).get(n);
  splat(0.693359375);
  f.simd("f32x4.mul").simd("f32x4.sub");
  f.get(n);
  splat(-2.12194440e-4);
  f.simd("f32x4.mul").simd("f32x4.sub").set(x);
  // y = poly(r)·r² + r + 1
  const p = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  splat(p[0]!);
  for (const c of p.slice(1)) {
    f.get(x).simd("f32x4.mul");
    splat(c);
    f.simd("f32x4.add");
  }
  f.get(x).get(x).simd("f32x4.mul").simd("f32x4.mul");
  f.get(x).simd("f32x4.add");
  splat(1);
  f.simd("f32x4.add").set(y);
  // · 2ⁿ, built from the exponent bits
  f.get(y);
  f.get(n).simd("i32x4.trunc_sat_f32x4_s");
  f.i32(127).simd("i32x4.splat").simd("i32x4.add");
  f.i32(23).simd("i32x4.shl");
  f.simd("f32x4.mul");
}

/** log x of the vector in local x, left on the stack. */
function emitLogF32(f: FuncBuilder, x: number): void {
  const e = f.local("v128"), m = f.local("v128"), z = f.local("v128"), y = f.local("v128"), lt = f.local("v128");
  const splat = (v: number) => f.v128f32([v, v, v, v]);
  const isplat = (v: number) => f.i32(v).simd("i32x4.splat");
  // e = exponent − 126 (as float), m = mantissa in [½, 1)
  f.get(x).i32(23).simd("i32x4.shr_s");
  isplat(0xff);
  f.simd("v128.and");
  isplat(126);
  f.simd("i32x4.sub").simd("f32x4.convert_i32x4_s").set(e);
  f.get(x);
  isplat(0x807fffff | 0);
  f.simd("v128.and");
  isplat(0x3f000000);
  f.simd("v128.or").set(m);
  // m < √½: e −= 1, m = 2m − 1; else m = m − 1
  f.get(m);
  splat(Math.SQRT1_2);
  f.simd("f32x4.lt").set(lt);
  f.get(e);
  splat(1);
  f.get(lt).simd("v128.and").simd("f32x4.sub").set(e);
  f.get(m).get(m).get(lt).simd("v128.and").simd("f32x4.add");
  splat(1);
  f.simd("f32x4.sub").set(m);
  f.get(m).get(m).simd("f32x4.mul").set(z);
  const p = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
  splat(p[0]!);
  for (const c of p.slice(1)) {
    f.get(m).simd("f32x4.mul");
    splat(c);
    f.simd("f32x4.add");
  }
  f.get(m).simd("f32x4.mul").get(z).simd("f32x4.mul");
  f.get(e);
  splat(-2.12194440e-4);
  f.simd("f32x4.mul").simd("f32x4.add");
  f.get(z);
  splat(-0.5);
  f.simd("f32x4.mul").simd("f32x4.add");
  f.get(m).simd("f32x4.add");
  f.get(e);
  splat(0.693359375);
  f.simd("f32x4.mul").simd("f32x4.add").set(y);
  // log 0 = −∞, log(x < 0) = NaN, log ∞ = ∞ (NaN stays NaN through the arithmetic below)
  splat(-Infinity);
  f.get(y);
  f.get(x);
  splat(0);
  f.simd("f32x4.eq").simd("v128.bitselect").set(y);
  splat(NaN);
  f.get(y);
  f.get(x);
  splat(0);
  f.simd("f32x4.lt").simd("v128.bitselect").set(y);
  splat(Infinity);
  f.get(y);
  f.get(x);
  splat(Infinity);
  f.simd("f32x4.eq").simd("v128.bitselect");
}
