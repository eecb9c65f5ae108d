// Sx: the scalar expression language shared by op rules, semirings and backends.
// Op rules and semirings build Sx trees; only backends turn them into source text.

export type UnaryOp =
  | "neg" | "exp" | "log" | "log1p" | "sqrt" | "rsqrt" | "sin" | "cos" | "tanh" | "sigmoid"
  | "abs" | "erf" | "floor" | "not" | "isneginf";
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "max" | "min"
  | "lt" | "le" | "gt" | "ge" | "eq" | "ne" | "and" | "or";

export type Sx =
  | { readonly k: "const"; readonly v: number }
  | { readonly k: "var"; readonly name: string }
  /** Element of a tensor: `ref` names it (a role such as "x0", "y", "aux:mean", or a buffer), `index` has one entry per axis. */
  | { readonly k: "load"; readonly ref: string; readonly index: readonly Sx[] }
  | { readonly k: "un"; readonly op: UnaryOp; readonly x: Sx }
  | { readonly k: "bin"; readonly op: BinaryOp; readonly a: Sx; readonly b: Sx }
  | { readonly k: "select"; readonly c: Sx; readonly a: Sx; readonly b: Sx };

export type SxLike = Sx | number;

export const unaryOps: readonly UnaryOp[] = [
  "neg", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "abs", "erf", "floor", "not", "isneginf",
];
export const binaryOps: readonly BinaryOp[] = [
  "add", "sub", "mul", "div", "max", "min", "lt", "le", "gt", "ge", "eq", "ne", "and", "or",
];

const lift = (x: SxLike): Sx => (typeof x === "number" ? { k: "const", v: x } : x);
const constOf = (x: Sx): number | undefined => (x.k === "const" ? x.v : undefined);

export const c = (v: number): Sx => ({ k: "const", v });
export const v = (name: string): Sx => ({ k: "var", name });
export const load = (ref: string, index: readonly SxLike[]): Sx => ({ k: "load", ref, index: index.map(lift) });

export function un(op: UnaryOp, x: SxLike): Sx {
  const a = lift(x);
  const ca = constOf(a);
  if (ca !== undefined) return c(evalUnary(op, ca));
  if (op === "neg" && a.k === "un" && a.op === "neg") return a.x;
  return { k: "un", op, x: a };
}

// Folding keeps IEEE semantics: x·0 is not folded (x may be ±∞), x·1 and x+0 are.
export function bin(op: BinaryOp, x: SxLike, y: SxLike): Sx {
  const a = lift(x), b = lift(y);
  const ca = constOf(a), cb = constOf(b);
  if (ca !== undefined && cb !== undefined) return c(evalBinary(op, ca, cb));
  if (op === "add" && ca === 0) return b;
  if ((op === "add" || op === "sub") && cb === 0) return a;
  if (op === "mul" && ca === 1) return b;
  if ((op === "mul" || op === "div") && cb === 1) return a;
  if (op === "mul" && ca === -1) return un("neg", b);
  if (op === "mul" && cb === -1) return un("neg", a);
  if (op === "sub" && ca === 0) return un("neg", b);
  if (op === "and" && (ca === 0 || cb === 0)) return c(0);
  if (op === "and" && ca !== undefined) return b;
  if (op === "and" && cb !== undefined) return a;
  return { k: "bin", op, a, b };
}

export function select(cond: SxLike, a: SxLike, b: SxLike): Sx {
  const cc = lift(cond);
  const k = constOf(cc);
  if (k !== undefined) return lift(k !== 0 ? a : b);
  return { k: "select", c: cc, a: lift(a), b: lift(b) };
}

export const add = (a: SxLike, b: SxLike) => bin("add", a, b);
export const sub = (a: SxLike, b: SxLike) => bin("sub", a, b);
export const mul = (a: SxLike, b: SxLike) => bin("mul", a, b);
export const div = (a: SxLike, b: SxLike) => bin("div", a, b);
export const max = (a: SxLike, b: SxLike) => bin("max", a, b);
export const min = (a: SxLike, b: SxLike) => bin("min", a, b);
export const lt = (a: SxLike, b: SxLike) => bin("lt", a, b);
export const le = (a: SxLike, b: SxLike) => bin("le", a, b);
export const gt = (a: SxLike, b: SxLike) => bin("gt", a, b);
export const ge = (a: SxLike, b: SxLike) => bin("ge", a, b);
export const eq = (a: SxLike, b: SxLike) => bin("eq", a, b);
export const ne = (a: SxLike, b: SxLike) => bin("ne", a, b);
export const and = (a: SxLike, b: SxLike) => bin("and", a, b);
export const or = (a: SxLike, b: SxLike) => bin("or", a, b);
export const neg = (x: SxLike) => un("neg", x);
export const exp = (x: SxLike) => un("exp", x);
export const log = (x: SxLike) => un("log", x);
export const log1p = (x: SxLike) => un("log1p", x);
export const sqrt = (x: SxLike) => un("sqrt", x);
export const rsqrt = (x: SxLike) => un("rsqrt", x);
export const sin = (x: SxLike) => un("sin", x);
export const cos = (x: SxLike) => un("cos", x);
export const tanh = (x: SxLike) => un("tanh", x);
export const sigmoid = (x: SxLike) => un("sigmoid", x);
export const abs = (x: SxLike) => un("abs", x);
export const erf = (x: SxLike) => un("erf", x);
export const floor = (x: SxLike) => un("floor", x);
export const not = (x: SxLike) => un("not", x);
/** 1 where x is −∞ (the log-domain 0̄), else 0. */
export const isNegInf = (x: SxLike) => un("isneginf", x);
export const NEG_INF = c(-Infinity);
export const POS_INF = c(Infinity);

/** log(eᵃ + eᵇ) that maps (−∞, −∞) to −∞ instead of NaN. */
export function logaddexp(a: SxLike, b: SxLike): Sx {
  const m = max(a, b);
  return select(isNegInf(m), NEG_INF, add(m, log1p(exp(neg(abs(sub(a, b)))))));
}

/** log|w| with log 0 = −∞. */
export const logAbs = (w: SxLike) => log(abs(w));

// ---------------------------------------------------------------- evaluation

export function evalUnary(op: UnaryOp, x: number): number {
  switch (op) {
    case "neg": return -x;
    case "exp": return Math.exp(x);
    case "log": return Math.log(x);
    case "log1p": return Math.log1p(x);
    case "sqrt": return Math.sqrt(x);
    case "rsqrt": return 1 / Math.sqrt(x);
    case "sin": return Math.sin(x);
    case "cos": return Math.cos(x);
    case "tanh": return Math.tanh(x);
    case "sigmoid": return 1 / (1 + Math.exp(-x));
    case "abs": return Math.abs(x);
    case "erf": return erfApprox(x);
    case "floor": return Math.floor(x);
    case "not": return x === 0 ? 1 : 0;
    case "isneginf": return x === -Infinity ? 1 : 0;
  }
}

export function evalBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "add": return a + b;
    case "sub": return a - b;
    case "mul": return a * b;
    case "div": return a / b;
    case "max": return Math.max(a, b);
    case "min": return Math.min(a, b);
    case "lt": return a < b ? 1 : 0;
    case "le": return a <= b ? 1 : 0;
    case "gt": return a > b ? 1 : 0;
    case "ge": return a >= b ? 1 : 0;
    case "eq": return a === b ? 1 : 0;
    case "ne": return a !== b ? 1 : 0;
    case "and": return a !== 0 && b !== 0 ? 1 : 0;
    case "or": return a !== 0 || b !== 0 ? 1 : 0;
  }
}

/**
 * erf via Numerical Recipes' erfc Chebyshev fit (|error| < 1.2e-7 everywhere). JS has no erf and
 * WGSL neither; every backend emits this same formula so they agree on gelu's erf form.
 */
export function erfApprox(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export interface SxEnv {
  readonly vars: Readonly<Record<string, number>>;
  load(ref: string, index: readonly number[]): number;
}

export function evaluate(x: Sx, env: SxEnv): number {
  switch (x.k) {
    case "const": return x.v;
    case "var": {
      const val = env.vars[x.name];
      if (val === undefined) throw new Error(`unbound scalar variable ${x.name}`);
      return val;
    }
    case "load": return env.load(x.ref, x.index.map((i) => evaluate(i, env)));
    case "un": return evalUnary(x.op, evaluate(x.x, env));
    case "bin": return evalBinary(x.op, evaluate(x.a, env), evaluate(x.b, env));
    case "select": return evaluate(x.c, env) !== 0 ? evaluate(x.a, env) : evaluate(x.b, env);
  }
}

// ---------------------------------------------------------------- structure

const keys = new WeakMap<Sx, string>();
/** Structural key: equal keys mean equal expressions (used for CSE and golden determinism). */
export function sxKey(x: Sx): string {
  const hit = keys.get(x);
  if (hit !== undefined) return hit;
  let k: string;
  switch (x.k) {
    case "const": k = Object.is(x.v, -0) ? "-0" : String(x.v); break;
    case "var": k = `$${x.name}`; break;
    case "load": k = `${x.ref}[${x.index.map(sxKey).join(",")}]`; break;
    case "un": k = `${x.op}(${sxKey(x.x)})`; break;
    case "bin": k = `${x.op}(${sxKey(x.a)},${sxKey(x.b)})`; break;
    case "select": k = `sel(${sxKey(x.c)},${sxKey(x.a)},${sxKey(x.b)})`; break;
  }
  keys.set(x, k);
  return k;
}

export function children(x: Sx): readonly Sx[] {
  switch (x.k) {
    case "const": case "var": return [];
    case "load": return x.index;
    case "un": return [x.x];
    case "bin": return [x.a, x.b];
    case "select": return [x.c, x.a, x.b];
  }
}

/** Rebuild bottom-up, letting `f` replace any node (after its children were rebuilt). */
export function rewrite(x: Sx, f: (node: Sx) => Sx | undefined): Sx {
  const memo = new Map<Sx, Sx>();
  const go = (n: Sx): Sx => {
    const hit = memo.get(n);
    if (hit) return hit;
    let r: Sx;
    switch (n.k) {
      case "const": case "var": r = n; break;
      case "load": r = load(n.ref, n.index.map(go)); break;
      case "un": r = un(n.op, go(n.x)); break;
      case "bin": r = bin(n.op, go(n.a), go(n.b)); break;
      case "select": r = select(go(n.c), go(n.a), go(n.b)); break;
    }
    const out = f(r) ?? r;
    memo.set(n, out);
    return out;
  };
  return go(x);
}

/** Substitute variables by expressions. */
export const substitute = (x: Sx, env: Readonly<Record<string, Sx>>): Sx =>
  rewrite(x, (n) => (n.k === "var" ? env[n.name] : undefined));

export function varsOf(x: Sx, out = new Set<string>()): Set<string> {
  if (x.k === "var") out.add(x.name);
  for (const ch of children(x)) varsOf(ch, out);
  return out;
}

export function loadsOf(x: Sx, out: Sx[] = []): Sx[] {
  if (x.k === "load") out.push(x);
  for (const ch of children(x)) loadsOf(ch, out);
  return out;
}

/** Readable infix form, for messages and debugging. */
export function showSx(x: Sx): string {
  switch (x.k) {
    case "const": return String(x.v);
    case "var": return x.name;
    case "load": return `${x.ref}[${x.index.map(showSx).join(", ")}]`;
    case "un": return `${x.op}(${showSx(x.x)})`;
    case "bin": return `${x.op}(${showSx(x.a)}, ${showSx(x.b)})`;
    case "select": return `select(${showSx(x.c)}, ${showSx(x.a)}, ${showSx(x.b)})`;
  }
}
