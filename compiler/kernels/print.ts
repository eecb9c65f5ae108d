// The printed form of legal kernels: one block per kernel, what `semic compile --emit kernels`
// shows. A block names the kernel and what it computes, its iteration space, the buffers it reads
// and writes with their roles, then the body in infix Sx: subexpressions used more than once as
// `let t<n>`, one line per lane. `acc<l>` is lane l's current value of the target element; all
// lanes are computed from the current values before any is written.
//
//   kernel fwd_3_0: %3 = linear %0, %1, %2 : f32[16]
//     space   o < 16, k < 4 (k reduced)
//     reads   v0 (value), v1 (value)
//     writes  v3 (value): f32[16], accumulating
//     v3[o] = acc0 + v0[k] * v1[o * 4 + k]

import * as S from "../../ir/scalar.ts";
import type { Sx } from "../../ir/scalar.ts";
import type { DType } from "../../ir/types.ts";
import { ExprBinder } from "../backends/emit.ts";
import type { LegalKernel, Place } from "./legalize.ts";
import { injective, solveTarget } from "./space.ts";

export interface PrintContext {
  /** The role of a physical buffer (value, aux, adjoint…), if known. */
  readonly role: (buffer: string) => string | undefined;
  readonly dtype: (buffer: string) => DType;
}

const num = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

const infix: Partial<Record<S.BinaryOp, { sym: string; prec: number }>> = {
  or: { sym: "||", prec: 2 },
  and: { sym: "&&", prec: 3 },
  eq: { sym: "==", prec: 4 },
  ne: { sym: "!=", prec: 4 },
  lt: { sym: "<", prec: 5 },
  le: { sym: "<=", prec: 5 },
  gt: { sym: ">", prec: 5 },
  ge: { sym: ">=", prec: 5 },
  add: { sym: "+", prec: 6 },
  sub: { sym: "-", prec: 6 },
  mul: { sym: "*", prec: 7 },
  div: { sym: "/", prec: 7 },
};
const UNARY = 8;
const ATOM = 9;

/** Infix text of x; `names` spells bound subexpressions by their let-name. */
export function showInfix(x: Sx, names: ReadonlyMap<string, string> = new Map()): string {
  const go = (e: Sx, min: number): string => {
    const { code, prec } = render(e);
    return prec < min ? `(${code})` : code;
  };
  const render = (e: Sx): { code: string; prec: number } => {
    const named = names.get(S.sxKey(e));
    if (named) return { code: named, prec: ATOM };
    switch (e.k) {
      case "const": return { code: num(e.v), prec: e.v < 0 || Object.is(e.v, -0) ? UNARY : ATOM };
      case "var": return { code: e.name, prec: ATOM };
      case "load": return { code: `${e.ref}[${e.index.map((i) => go(i, 0)).join(", ")}]`, prec: ATOM };
      case "un":
        if (e.op === "neg") return { code: `-${go(e.x, UNARY)}`, prec: UNARY };
        if (e.op === "not") return { code: `!${go(e.x, UNARY)}`, prec: UNARY };
        return { code: `${e.op}(${go(e.x, 0)})`, prec: ATOM };
      case "bin": {
        const op = infix[e.op];
        // Left-associative: a right operand of equal precedence keeps its parentheses.
        if (op) return { code: `${go(e.a, op.prec)} ${op.sym} ${go(e.b, op.prec + 1)}`, prec: op.prec };
        return { code: `${e.op}(${go(e.a, 0)}, ${go(e.b, 0)})`, prec: ATOM };
      }
      case "select": return { code: `${go(e.c, 2)} ? ${go(e.a, 2)} : ${go(e.b, 1)}`, prec: 1 };
    }
  };
  return go(x, 0);
}

/** One kernel as a block of text (no trailing newline). */
export function printKernel(k: LegalKernel, ctx: PrintContext): string {
  const lines = [`kernel ${k.name}: ${k.comment}`];
  const withRole = (b: string) => {
    const role = ctx.role(b);
    return role ? `${b} (${role})` : b;
  };
  // Vars looped per target element, unless each element is updated by one point anyway.
  const loops = k.accumulates ? solveTarget(k).loops.map((iv) => iv.name) : [];
  const reduced = loops.length > 0 && !injective(k) ? loops : [];
  const space = k.vars.map((iv) => `${iv.name} < ${iv.extent}`).join(", ") || "one point";
  lines.push(`  space   ${space}${reduced.length > 0 ? ` (${reduced.join(", ")} reduced)` : ""}`);
  const loads = [...k.update, ...k.index, ...(k.guard ? [k.guard] : [])].flatMap((x) => S.loadsOf(x));
  const reads = [...new Set(loads.flatMap((l) => (l.k === "load" ? [l.ref] : [])))];
  lines.push(`  reads   ${reads.map(withRole).join(", ") || "nothing"}`);
  const targets = [...new Set(k.targets.map((t) => t.buffer))];
  const shape = `${ctx.dtype(targets[0]!)}[${k.shape.join(",")}]`;
  lines.push(`  writes  ${targets.map(withRole).join(", ")}: ${shape}${k.accumulates ? ", accumulating" : ""}`);
  if (k.guard) lines.push(`  where   ${showInfix(k.guard)}`);
  // Shared subexpressions once, in dependency order.
  const roots = [k.target, ...k.update];
  const binder = new ExprBinder(roots, () => 0, 0);
  const names = new Map<string, string>();
  for (const x of binder.boundAt(0)) {
    const name = `t${names.size}`;
    lines.push(`  let ${name} = ${showInfix(x, names)}`);
    names.set(S.sxKey(x), name);
  }
  const at = (p: Place) => `${p.buffer}[${showInfix(S.add(k.target, p.offset), names)}]`;
  k.update.forEach((u, l) => lines.push(`  ${at(k.targets[l]!)} = ${showInfix(u, names)}`));
  return lines.join("\n");
}
