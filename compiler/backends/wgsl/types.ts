// WGSL's types for a legal kernel (compiler/kernels/legalize.ts prepares the kernel for every
// backend; typing is what only WGSL needs):
// - index arithmetic is i32: vars and i32 loads are integers, sums and products of integers stay
//   integers, and ⌊a / c⌋ of a non-negative integer by a positive constant is integer division
//   (exact, where f32 would round offsets above 2^24). Everything else is f32; comparisons are bool.

import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import type { DType } from "../../../ir/types.ts";

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
