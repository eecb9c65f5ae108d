// Versioning a row group's update on scalar conditions: a select condition constant per row (the
// adjoint is 0̄, say) gets one version per value, and the sign-select of a linear ⊗ whose lanes a
// negative weight swaps gets one version per order of its pair.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import { keyOf, mentions } from "./linearForms.ts";


/** Replaces every occurrence of `c` (top-down) by a constant, and simplifies. */
export function assume(x: Sx, c: Sx, value: boolean): Sx {
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
export function scalarConditions(xs: readonly Sx[], v: string, accs: readonly string[]): Sx[] {
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
export function signSelects(x: Sx, v: string): { a: Sx; b: Sx }[] {
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
export function orderedSigns(x: Sx, v: string, a: Sx, b: Sx): Sx {
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

export const finite = (x: Sx): Sx => S.eq(S.sub(x, x), 0);
