// Linear forms of index expressions (c + Σ coef·atom) and the variables an expression mentions.
// Both are asked of the same trees many times per kernel, so they are cached per Sx node in weak
// maps: pure functions of immutable nodes, nothing kept across compilations but the nodes' own.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";

export interface Lin {
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
export function linearize(x: Sx): Lin {
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

export function linToSx(l: Lin, withConst: boolean): Sx {
  const keys = [...l.terms.keys()].sort();
  let out: Sx = S.c(withConst ? l.c : 0);
  for (const k of keys) {
    const t = l.terms.get(k)!;
    out = S.add(out, S.mul(t.atom, t.coef));
  }
  return out;
}

export const keyOf = (x: Sx): string => S.sxKey(x);

const varsMemo = new WeakMap<Sx, ReadonlySet<string>>();
/** The variables of x (memoised per node: kernels ask this of the same trees many times). */
export function varsOf(x: Sx): ReadonlySet<string> {
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
export const mentions = (x: Sx, name: string): boolean => varsOf(x).has(name);
