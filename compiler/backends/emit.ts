// Shared code-emission helpers: indented lines, row-major flattening of loads, and an expression
// binder that names shared subexpressions once (CSE) and at the outermost loop where all their
// inputs are known (loop-invariant code motion). Backends supply only the scalar spelling.

import * as S from "../../ir/scalar.ts";
import type { Sx } from "../../ir/scalar.ts";
import { stridesOf } from "../../ir/types.ts";

export class CodeBuilder {
  readonly #lines: string[] = [];
  #depth = 0;
  constructor(readonly indentUnit = "  ") {}
  line(text = ""): this {
    this.#lines.push(text === "" ? "" : this.indentUnit.repeat(this.#depth) + text);
    return this;
  }
  lines(texts: readonly string[]): this {
    for (const t of texts) this.line(t);
    return this;
  }
  open(text: string): this {
    this.line(text);
    this.#depth++;
    return this;
  }
  close(text = "}"): this {
    this.#depth--;
    return this.line(text);
  }
  toString(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** Row-major flat offset of a multi-index, folded where constant. */
export function flatIndex(index: readonly Sx[], shape: readonly number[]): Sx {
  const strides = stridesOf(shape);
  let flat: Sx = S.c(0);
  index.forEach((ix, a) => (flat = S.add(flat, S.mul(ix, strides[a]!))));
  return flat;
}

/** Rewrites every multi-index load into a load of one flat offset. */
export function flattenLoads(x: Sx, shapeOf: (buffer: string) => readonly number[]): Sx {
  return S.rewrite(x, (n) => {
    if (n.k !== "load" || (n.index.length === 1 && shapeOf(n.ref).length === 1)) return undefined;
    return S.load(n.ref, [flatIndex(n.index, shapeOf(n.ref))]);
  });
}

export const isBool = (x: Sx): boolean =>
  (x.k === "bin" && ["lt", "le", "gt", "ge", "eq", "ne", "and", "or"].includes(x.op)) ||
  (x.k === "un" && (x.op === "not" || x.op === "isneginf"));

export const isTrivial = (x: Sx): boolean => x.k === "const" || x.k === "var";

/**
 * Decides which subexpressions get a temporary and at which loop depth it is computed.
 * depthOfVar gives the loop depth (1-based) at which a variable is bound; 0 = outside all loops.
 */
export class ExprBinder {
  readonly #depth = new Map<string, number>();
  readonly #uses = new Map<string, number>();
  readonly #nodes = new Map<string, Sx>();
  readonly #order: string[] = [];
  constructor(
    roots: readonly Sx[],
    readonly depthOfVar: (name: string) => number,
    readonly innermost: number,
  ) {
    for (const r of roots) this.#visit(r);
  }

  #visit(x: Sx): number {
    const key = S.sxKey(x);
    this.#uses.set(key, (this.#uses.get(key) ?? 0) + 1);
    const known = this.#depth.get(key);
    if (known !== undefined) return known;
    let d = x.k === "var" ? this.depthOfVar(x.name) : 0;
    for (const ch of S.children(x)) d = Math.max(d, this.#visit(ch));
    this.#depth.set(key, d);
    this.#nodes.set(key, x);
    this.#order.push(key); // post-order: children first
    return d;
  }

  depthOf(x: Sx): number {
    return this.#depth.get(S.sxKey(x)) ?? 0;
  }

  /** Whether x gets a named temporary. */
  bound(x: Sx): boolean {
    if (isTrivial(x)) return false;
    const key = S.sxKey(x);
    return (this.#uses.get(key) ?? 0) > 1 || (this.#depth.get(key) ?? 0) < this.innermost;
  }

  /** Bound nodes computed at loop depth d, children before parents. */
  boundAt(d: number): Sx[] {
    return this.#order.map((k) => this.#nodes.get(k)!).filter((x) => this.bound(x) && this.depthOf(x) === d);
  }
}
