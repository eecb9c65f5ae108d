// Kernel → JavaScript loops over typed arrays. The kernel arrives legalized
// (compiler/kernels/legalize.ts, one array per buffer); what is JavaScript's own is the loop nest:
// the most contiguous variable innermost, invariant subexpressions computed once at the outermost
// loop they allow, and a target element that is invariant in the inner loops accumulated in locals.
// How each construct is spelled is `jsSpelling`.

import * as S from "../../../ir/scalar.ts";
import type { Sx } from "../../../ir/scalar.ts";
import type { IndexVar } from "../../../ir/ops/rule.ts";
import { accVar, type Kernel } from "../../kernel.ts";
import { dropUnitVars, legalizeKernel, logicalLayout } from "../../kernels/legalize.ts";
import { CodeBuilder, ExprBinder, isBool } from "../emit.ts";
import { jsAtomicBinary, jsAtomicUnary, jsBinary, jsUnary } from "./scalar.ts";

export type ShapeOf = (buffer: string) => readonly number[];

/** The spelling table: one entry per construct a kernel's loop nest writes. */
export const jsSpelling = {
  loopVar: (depth: number) => `i${depth}`,
  loop: (v: string, extent: number) => `for (let ${v} = 0; ${v} < ${extent}; ${v}++) {`,
  element: (buffer: string, at: string) => `${buffer}[${at}]`,
  temp: (n: number) => `t${n}`,
  /** New lane values, all computed before any is stored. */
  newLane: (l: number, code: string) => `const n${l} = ${code};`,
} as const;

/**
 * Innermost: the var most often at stride 1 (target and loads); ties go to a var the target does
 * not use. Read from the multi-index form (dropUnitVars), where the last axis is plain to see.
 */
export function loopOrder(k: Kernel): IndexVar[] {
  const vars = k.vars.filter((iv) => iv.extent > 1);
  if (vars.length <= 1) return vars;
  const lastVar = (index: readonly Sx[]) => {
    const last = index[index.length - 1];
    return last && last.k === "var" ? last.name : undefined;
  };
  const score = new Map<string, number>();
  const bump = (name: string | undefined) => name && score.set(name, (score.get(name) ?? 0) + 1);
  bump(lastVar(k.index));
  for (const root of [...k.update, ...(k.guard ? [k.guard] : [])]) for (const l of S.loadsOf(root)) if (l.k === "load") bump(lastVar(l.index));
  const inTarget = new Set([...k.index.flatMap((i) => [...S.varsOf(i)])]);
  let best = vars[vars.length - 1]!;
  for (const iv of vars) {
    const s = score.get(iv.name) ?? 0, b = score.get(best.name) ?? 0;
    if (s > b || (s === b && inTarget.has(best.name) && !inTarget.has(iv.name))) best = iv;
  }
  return [...vars.filter((iv) => iv !== best), best];
}

const fmt = (v: number): string => (Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : Object.is(v, -0) ? "-0" : String(v));

/** Renders Sx as JavaScript, naming bound subexpressions. */
export class JsExpr {
  readonly names = new Map<string, { name: string; bool: boolean }>();
  readonly helpers = new Set<string>();
  constructor(readonly varName: (name: string) => string) {}

  num(x: Sx): string {
    const s = this.#render(x);
    return s.bool ? `(${s.code} ? 1 : 0)` : s.code;
  }
  bool(x: Sx): string {
    const s = this.#render(x);
    return s.bool ? s.code : `${s.code} !== 0`;
  }
  /** Operand form: parenthesised unless atomic. */
  #operand(x: Sx, want: "num" | "bool"): string {
    const s = this.#render(x);
    const code = want === "num" ? (s.bool ? `(${s.code} ? 1 : 0)` : s.code) : s.bool ? s.code : `${s.code} !== 0`;
    return s.atomic && (want === "num") === !s.bool ? code : `(${code})`;
  }
  #render(x: Sx): { code: string; bool: boolean; atomic: boolean } {
    const named = this.names.get(S.sxKey(x));
    if (named) return { code: named.name, bool: named.bool, atomic: true };
    switch (x.k) {
      case "const": return { code: fmt(x.v), bool: false, atomic: x.v >= 0 || Number.isNaN(x.v) };
      case "var": return { code: this.varName(x.name), bool: false, atomic: true };
      case "load": return { code: `${x.ref}[${this.num(x.index[0]!)}]`, bool: false, atomic: true };
      case "un": {
        if (x.op === "erf") this.helpers.add("erf");
        const wantBool = x.op === "not";
        const arg = jsAtomicUnary.has(x.op) ? (wantBool ? this.bool(x.x) : this.num(x.x)) : this.#operand(x.x, wantBool ? "bool" : "num");
        return { code: jsUnary[x.op](arg), bool: isBool(x), atomic: jsAtomicUnary.has(x.op) };
      }
      case "bin": {
        const logic = x.op === "and" || x.op === "or";
        const want = logic ? "bool" : "num";
        const atomicCall = jsAtomicBinary.has(x.op);
        const a = atomicCall ? this.num(x.a) : this.#operand(x.a, want);
        const b = atomicCall ? this.num(x.b) : this.#operand(x.b, want);
        return { code: jsBinary[x.op](a, b), bool: isBool(x), atomic: atomicCall };
      }
      case "select":
        return { code: `${this.#operand(x.c, "bool")} ? ${this.#operand(x.a, "num")} : ${this.#operand(x.b, "num")}`, bool: false, atomic: false };
    }
  }
  /** Binds x to a fresh const; returns the declaration. */
  bind(x: Sx, name: string): string {
    const s = this.#render(x);
    this.names.set(S.sxKey(x), { name, bool: s.bool });
    return `const ${name} = ${s.code};`;
  }
}

export interface RenderState {
  readonly helpers: Set<string>;
}

/** Appends the loops of one kernel to `out`; its temporaries are numbered within the kernel. */
export function renderKernel(kernel: Kernel, shapeOf: ShapeOf, out: CodeBuilder, state: RenderState): void {
  const k = legalizeKernel(kernel, logicalLayout(shapeOf));
  const order = loopOrder(dropUnitVars(kernel));
  const depth = new Map(order.map((iv, d) => [iv.name, d + 1]));
  const { target, update, guard } = k;
  const accNames = new Set(k.targets.map((_, l) => accVar(l)));
  const n = order.length;
  const varDepth = (name: string) => (accNames.has(name) ? n : depth.get(name) ?? 0);
  const targetDepth = new ExprBinder([target], varDepth, n).depthOf(target);
  // Accumulate in locals when the target element stays fixed across inner loops; otherwise the
  // update reads the target element in place.
  const inRegister = k.accumulates && targetDepth < n;
  const buffers = k.targets.map((t) => t.buffer);
  const body = inRegister ? update : update.map((u) => S.substitute(u, Object.fromEntries(buffers.map((buf, l) => [accVar(l), S.load(buf, [target])]))));
  const binder = new ExprBinder([target, ...body, ...(guard ? [guard] : [])], varDepth, n);
  const js = new JsExpr((name) => (accNames.has(name) ? name : jsSpelling.loopVar((depth.get(name) ?? 1) - 1)));
  const lanes = buffers.map((buf, l) => ({ buf, acc: accVar(l) }));
  const element = (buf: string) => jsSpelling.element(buf, js.num(target));

  // A block per kernel keeps its temporaries and accumulators local.
  out.open(`{ // ${k.comment}`);
  let temps = 0;
  const emitTemps = (d: number) => {
    for (const x of binder.boundAt(d)) out.line(js.bind(x, jsSpelling.temp(temps++)));
  };
  emitTemps(0);
  for (let d = 0; d < n; d++) {
    if (inRegister && d === targetDepth) out.line(`let ${lanes.map((ln) => `${ln.acc} = ${element(ln.buf)}`).join(", ")};`);
    out.open(jsSpelling.loop(jsSpelling.loopVar(d), order[d]!.extent));
    emitTemps(d + 1);
  }
  if (guard) out.open(`if (${js.bool(guard)}) {`);
  const dest = (l: number) => (inRegister ? lanes[l]!.acc : element(lanes[l]!.buf));
  if (body.length === 1) out.line(`${dest(0)} = ${js.num(body[0]!)};`);
  else {
    // All lanes read the old element before any lane is written.
    out.lines(body.map((u, l) => jsSpelling.newLane(l, js.num(u))));
    out.line(lanes.map((_, l) => `${dest(l)} = n${l};`).join(" "));
  }
  if (guard) out.close();
  for (let d = n - 1; d >= 0; d--) {
    out.close();
    if (inRegister && d === targetDepth) out.line(lanes.map((ln) => `${element(ln.buf)} = ${ln.acc};`).join(" "));
  }
  out.close();
  for (const h of js.helpers) state.helpers.add(h);
}
