// The iteration space of a legal kernel seen from its target: which vars a target element fixes
// (solved from the element's coordinates), which remain to be looped, and whether distinct points
// update distinct elements. Backends that give a thread (or a loop nest) to each target element
// read this instead of rediscovering it.

import type { IndexVar } from "../../ir/ops/rule.ts";
import * as S from "../../ir/scalar.ts";
import type { Sx } from "../../ir/scalar.ts";
import { sizeOf } from "../../ir/types.ts";
import type { LegalKernel } from "./legalize.ts";

/** Coordinate a of the target element, as a var `@c<a>`. */
export const coord = (a: number): Sx => S.v(`@c${a}`);

export const allOf = (xs: readonly Sx[]): Sx | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => S.and(a, b)));

export interface Solved {
  /** Var → expression in coordinates @c0…. */
  readonly solved: Record<string, Sx>;
  readonly loops: readonly IndexVar[];
  /** Conditions for a point to update this element (checks, ranges, guard), over vars and coords. */
  readonly conds: readonly Sx[];
  /** Every target axis is a distinct var spanning it. */
  readonly plain: boolean;
}

/**
 * Vars that a target axis names plainly (or as var + constant) are solved from the element's
 * coordinates; the other vars are looped, with a check that the index equals the element where an
 * axis is not plain.
 */
export function solveTarget(k: LegalKernel): Solved {
  const extent = new Map(k.vars.map((iv) => [iv.name, iv.extent]));
  const solved: Record<string, Sx> = {};
  const ranges: Sx[] = [];
  const pending: Sx[] = [];
  let plain = true;
  k.index.forEach((ix, a) => {
    const dim = k.shape[a]!;
    const c = coord(a);
    let v: string | undefined, off = 0;
    if (ix.k === "var") v = ix.name;
    else if (ix.k === "bin" && ix.op === "add" && ix.a.k === "var" && ix.b.k === "const" && Number.isInteger(ix.b.v)) [v, off] = [ix.a.name, ix.b.v];
    else if (ix.k === "bin" && ix.op === "add" && ix.b.k === "var" && ix.a.k === "const" && Number.isInteger(ix.a.v)) [v, off] = [ix.b.name, ix.a.v];
    const e = v === undefined ? undefined : extent.get(v);
    if (v !== undefined && e !== undefined && !(v in solved)) {
      solved[v] = off === 0 ? c : S.sub(c, off);
      if (off !== 0) ranges.push(S.ge(c, off));
      if (off !== 0 || e < dim) ranges.push(S.lt(c, e + off));
      if (off !== 0 || e !== dim) plain = false;
      return;
    }
    plain = false;
    if (ix.k === "const" && ix.v === 0 && dim === 1) return;
    pending.push(S.eq(ix, c));
  });
  const sub = (x: Sx) => S.substitute(x, solved);
  const conds = [...ranges, ...pending.map(sub), ...(k.guard ? [sub(k.guard)] : [])];
  return { solved, loops: k.vars.filter((iv) => !(iv.name in solved)), conds, plain };
}

/** Points evaluated at compile time, at most this many. */
const MAX_CHECKED_POINTS = 1 << 22;

/** Whether distinct points update distinct elements: checked by evaluating a load-free index. */
export function injective(k: LegalKernel): boolean {
  const extents = k.vars.map((iv) => iv.extent);
  const points = sizeOf(extents);
  if (points > MAX_CHECKED_POINTS || points > sizeOf(k.shape) || k.index.some((ix) => S.loadsOf(ix).length > 0)) return false;
  const seen = new Uint8Array(sizeOf(k.shape));
  const vars: Record<string, number> = {};
  const env = { vars, load: () => NaN };
  for (let p = 0; p < points; p++) {
    let rest = p;
    for (let a = extents.length - 1; a >= 0; a--) {
      vars[k.vars[a]!.name] = rest % extents[a]!;
      rest = Math.floor(rest / extents[a]!);
    }
    const at = S.evaluate(k.target, env);
    if (!(at >= 0 && at < seen.length) || seen[at]) return false;
    seen[at] = 1;
  }
  return true;
}
