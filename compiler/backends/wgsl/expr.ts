// Sx → WGSL expression text, typed: each node is rendered in its natural type (types.ts Typer)
// and converted where its use wants another. Bound subexpressions (ExprBinder) become `let`s.

import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import { Typer, type NatTy, type Ty } from "./types.ts";
import { f32Literal, wgslBinary, wgslHelperOf, wgslUnary } from "./scalar.ts";

function convert(code: string, from: Ty, to: Ty): string {
  if (from === to) return code;
  switch (to) {
    case "f32": return from === "bool" ? `select(0.0, 1.0, ${code})` : `f32(${code})`;
    case "i32": return from === "bool" ? `select(0, 1, ${code})` : `i32(${code})`;
    case "bool": return from === "f32" ? `(${code} != 0.0)` : `(${code} != 0)`;
  }
}

const intLiteral = (v: number) => (v < 0 ? `(${v})` : String(v));

export class WgslExpr {
  readonly names = new Map<string, { name: string; ty: Ty }>();
  readonly helpers = new Set<string>();
  constructor(
    readonly typer: Typer,
    readonly varName: (name: string) => string,
  ) {}

  /** x as a value of type `want`. */
  code(x: Sx, want: Ty): string {
    const named = this.names.get(S.sxKey(x));
    if (named) return convert(named.name, named.ty, want);
    const nat = this.typer.ty(x);
    // Integer-constant expressions take the wanted numeric type directly (no casts of literals).
    const as: Ty = nat === "int" ? (want === "bool" ? "i32" : want) : nat;
    return convert(this.#render(x, as), as, want);
  }

  /** `let name = x;`, remembering the name for later uses of x. */
  bind(x: Sx, name: string): string {
    const nat = this.typer.ty(x);
    const ty: Ty = nat === "int" ? "i32" : nat;
    const code = this.code(x, ty);
    this.names.set(S.sxKey(x), { name, ty });
    return `let ${name} = ${code};`;
  }

  /** Renders x, whose type is `t` (its natural type, or the chosen one for integer constants). */
  #render(x: Sx, t: Ty): string {
    switch (x.k) {
      case "const":
        if (t === "f32") {
          const lit = f32Literal(x.v);
          if (lit.startsWith("f32_bits")) this.helpers.add(wgslHelperOf.inf!);
          return lit;
        }
        return intLiteral(x.v);
      case "var": return this.varName(x.name);
      case "load": return `${x.ref}[${this.code(x.index[0]!, "i32")}]`;
      case "un": {
        if (x.op === "not") return wgslUnary.not(this.code(x.x, "bool"));
        if (x.op === "floor" && this.typer.isIntDiv(x) && x.x.k === "bin") return `(${this.code(x.x.a, "i32")} / ${this.code(x.x.b, "i32")})`;
        if (x.op === "floor" && t !== "f32") return this.code(x.x, t);
        if ((x.op === "neg" || x.op === "abs") && t !== "f32") return wgslUnary[x.op](this.code(x.x, t));
        const helper = wgslHelperOf[x.op];
        if (helper) this.helpers.add(helper);
        return wgslUnary[x.op](this.code(x.x, "f32"));
      }
      case "bin": {
        if (x.op === "and" || x.op === "or") return wgslBinary[x.op](this.code(x.a, "bool"), this.code(x.b, "bool"));
        if (x.op === "div") return wgslBinary.div(this.code(x.a, "f32"), this.code(x.b, "f32"));
        const j: NatTy = Typer.join(this.typer.ty(x.a), this.typer.ty(x.b));
        // Comparisons compare in the operands' type; arithmetic computes in its own (t).
        const opTy: Ty = ["lt", "le", "gt", "ge", "eq", "ne"].includes(x.op) ? (j === "f32" ? "f32" : "i32") : t;
        return wgslBinary[x.op](this.code(x.a, opTy), this.code(x.b, opTy));
      }
      case "select":
        return `select(${this.code(x.b, t)}, ${this.code(x.a, t)}, ${this.code(x.c, "bool")})`;
    }
  }
}
