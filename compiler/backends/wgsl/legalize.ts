// Sx → Sx rewrites that make a kernel renderable as WGSL, and the types WGSL needs:
// - vars of extent 1 become 0, every load reads one flat offset of a physical buffer (adjoint
//   lanes may share one buffer at lane offsets: see packLanes in module.ts);
// - index arithmetic is i32: vars and i32 loads are integers, sums and products of integers stay
//   integers, and ⌊a / c⌋ of a non-negative integer by a positive constant is integer division
//   (exact, where f32 would round offsets above 2^24). Everything else is f32; comparisons are bool.

import type { IndexVar } from "../../../ir/ops/rule.ts";
import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import type { DType } from "../../../ir/types.ts";
import { accVar, type Kernel } from "../../kernel.ts";
import { flatIndex } from "../emit.ts";

/** Where a logical buffer (a tensor or one adjoint lane) lives. */
export interface Place {
  readonly buffer: string;
  readonly offset: number;
}

export interface Layout {
  readonly place: (name: string) => Place;
  readonly shape: (name: string) => readonly number[];
  readonly dtype: (buffer: string) => DType;
}

export interface LegalKernel {
  readonly name: string;
  readonly comment: string;
  /** Vars of extent > 1. */
  readonly vars: readonly IndexVar[];
  readonly guard?: Sx;
  readonly targets: readonly Place[];
  readonly shape: readonly number[];
  /** Multi-index into the target (lane offsets come from `targets`). */
  readonly index: readonly Sx[];
  /** New lane values over vars and acc0…; every load is flat into a physical buffer. */
  readonly update: readonly Sx[];
  /** Several points may update one element (the update reads acc…). */
  readonly accumulates: boolean;
}

export function legalizeKernel(k: Kernel, layout: Layout): LegalKernel {
  const unit = Object.fromEntries(k.vars.filter((iv) => iv.extent <= 1).map((iv) => [iv.name, S.c(0)]));
  const prep = (x: Sx): Sx =>
    S.rewrite(S.substitute(x, unit), (n) => {
      if (n.k !== "load") return undefined;
      const p = layout.place(n.ref);
      return S.load(p.buffer, [S.add(flatIndex(n.index, layout.shape(n.ref)), p.offset)]);
    });
  const update = k.update.map(prep);
  const accs = new Set(k.targets.map((_, l) => accVar(l)));
  return {
    name: k.name,
    comment: k.comment,
    vars: k.vars.filter((iv) => iv.extent > 1),
    ...(k.guard ? { guard: prep(k.guard) } : {}),
    targets: k.targets.map((t) => layout.place(t)),
    shape: layout.shape(k.targets[0]!),
    index: k.index.map(prep),
    update,
    accumulates: update.some((u) => [...S.varsOf(u)].some((v) => accs.has(v))),
  };
}

/** Physical buffers a kernel touches, and whether it writes them. */
export function kernelBuffers(k: LegalKernel): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const root of [...k.update, ...k.index, ...(k.guard ? [k.guard] : [])])
    for (const l of S.loadsOf(root)) if (l.k === "load" && !out.has(l.ref)) out.set(l.ref, false);
  for (const t of k.targets) out.set(t.buffer, true);
  return out;
}

// ---------------------------------------------------------------- types

/** "int" is an integer constant (or an expression of them): it takes the type its use wants. */
export type Ty = "f32" | "i32" | "bool";
export type NatTy = Ty | "int";

const isInt = (t: NatTy) => t === "i32" || t === "int";
const INT_MAX = 2 ** 31 - 1;

export class Typer {
  readonly #memo = new Map<string, NatTy>();
  constructor(
    readonly dtypeOf: (buffer: string) => DType,
    readonly varType: (name: string) => Ty,
  ) {}

  /** The arithmetic type of two operands: integer only if both are. */
  static join(a: NatTy, b: NatTy): NatTy {
    if (isInt(a) && isInt(b)) return a === "int" && b === "int" ? "int" : "i32";
    return "f32";
  }

  ty(x: Sx): NatTy {
    const key = S.sxKey(x);
    const hit = this.#memo.get(key);
    if (hit) return hit;
    const t = this.#infer(x);
    this.#memo.set(key, t);
    return t;
  }

  #infer(x: Sx): NatTy {
    switch (x.k) {
      case "const": return Number.isInteger(x.v) && Math.abs(x.v) <= INT_MAX && !Object.is(x.v, -0) ? "int" : "f32";
      case "var": return this.varType(x.name);
      case "load": return this.dtypeOf(x.ref) === "i32" ? "i32" : "f32";
      case "un":
        if (x.op === "not" || x.op === "isneginf") return "bool";
        if (x.op === "floor") return this.isIntDiv(x) || isInt(this.ty(x.x)) ? this.ty(x.x) === "int" ? "int" : "i32" : "f32";
        if (x.op === "neg" || x.op === "abs") return isInt(this.ty(x.x)) ? this.ty(x.x) : "f32";
        return "f32";
      case "bin":
        switch (x.op) {
          case "lt": case "le": case "gt": case "ge": case "eq": case "ne": case "and": case "or": return "bool";
          case "div": return "f32";
          default: return Typer.join(this.ty(x.a), this.ty(x.b));
        }
      case "select": {
        const a = this.ty(x.a), b = this.ty(x.b);
        return a === "bool" && b === "bool" ? "bool" : Typer.join(a, b);
      }
    }
  }

  /** ⌊a / c⌋ with a a non-negative integer and c a positive integer constant: i32 division. */
  isIntDiv(x: Sx): x is Sx & { k: "un" } {
    if (x.k !== "un" || x.op !== "floor" || x.x.k !== "bin" || x.x.op !== "div") return false;
    const { a, b } = x.x;
    return b.k === "const" && Number.isInteger(b.v) && b.v > 0 && b.v <= INT_MAX && isInt(this.ty(a)) && this.nonNegative(a);
  }

  /** Conservative: vars count (index vars are ≥ 0), i32 loads do not (ids are data). */
  nonNegative(x: Sx): boolean {
    switch (x.k) {
      case "const": return x.v >= 0;
      // Index vars and coordinates; "@sh…" vars stand for workgroup tiles (data, not indices).
      case "var": return this.varType(x.name) === "i32" && !x.name.startsWith("@sh");
      case "bin": return (x.op === "add" || x.op === "mul" || x.op === "max") && this.nonNegative(x.a) && this.nonNegative(x.b);
      case "un": return x.op === "abs" || (this.isIntDiv(x));
      default: return false;
    }
  }
}
