// defineSemiring({...}) → Semiring. Each function of the spec is evaluated once with symbolic
// lanes (Sx variables) and gives an Sx template per result lane; the Semiring's functions
// substitute the actual lanes into the templates. Any value that is not arithmetic on lanes
// and numbers is a located error, so user semirings render to JS and WGSL like built-in ones.

import type { Node } from "ts-morph";
import * as S from "../../ir/scalar.ts";
import type { Sx } from "../../ir/scalar.ts";
import { opaqueTraits, type Lanes, type Semiring } from "../../ir/semirings/semiring.ts";
import { toSx } from "./builtins.ts";
import type { EvalContext } from "./context.ts";
import { describe, ObjVal, SxVal, type Value } from "./values.ts";

const laneVar = (arg: string, i: number) => `semiring.${arg}${i}`;

export function lowerSemiring(ev: EvalContext, spec: Value, at: Node): Semiring {
  const fail = (message: string): never => ev.fail(at, `defineSemiring: ${message}`, "E_SEMIRING");
  if (!(spec instanceof ObjVal)) return fail(`expected an object literal, got ${describe(spec)}`);
  const get = (k: string) => spec.props.get(k);
  const str = (k: string, fallback?: string): string => {
    const v = get(k) ?? fallback;
    return typeof v === "string" ? v : fail(`\`${k}\` must be a string, got ${describe(v)}`);
  };

  const name = str("name");
  if (!/^[a-z][a-z0-9]*$/.test(name)) fail(`the name "${name}" must be lowercase letters and digits (it is the CLI name)`);
  const lanesV = get("lanes");
  if (!Array.isArray(lanesV) || lanesV.length === 0 || !lanesV.every((l) => typeof l === "string"))
    return fail("`lanes` must be a non-empty array of lane names");
  const lanes = lanesV;
  if (new Set(lanes).size !== lanes.length) fail("lane names must be distinct");
  const n = lanes.length;
  const numbers = (k: string): number[] => {
    const v = get(k);
    if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === "number")) return v;
    return fail(`\`${k}\` must be an array of ${n} numbers (one per lane), got ${describe(v)}`);
  };
  const idem = get("idempotentPlus") ?? false;
  if (typeof idem !== "boolean") return fail("`idempotentPlus` must be a boolean");

  // Evaluate a spec function on symbolic arguments, outside any model body.
  const symbolic = (arg: string) => lanes.map((_, i) => new SxVal(S.v(laneVar(arg, i))));
  const template = (k: string, args: readonly Value[], width: number | "any"): Sx[] => {
    const fn = get(k);
    if (fn === undefined) return fail(`\`${k}\` is missing`);
    const saved = ev.builder;
    ev.builder = undefined;
    let out: Value;
    try {
      out = ev.call(fn, args, at);
    } finally {
      ev.builder = saved;
    }
    const list = Array.isArray(out) ? out : [out];
    if (width !== "any" ? list.length !== width : list.length === 0)
      return fail(`\`${k}\` must return ${width === "any" ? "at least one" : width} lane value(s), got ${list.length}`);
    return list.map((x) => toSx(x, at, ev.fail));
  };
  const plusT = template("plus", [symbolic("a"), symbolic("b")], n);
  const timesT = template("times", [symbolic("a"), symbolic("b")], n);
  const liftT = template("lift", [new SxVal(S.v("semiring.w"))], n);
  const readoutT = template("readout", [symbolic("a")], "any");

  const env = (arg: string, xs: Lanes): Record<string, Sx> => {
    if (xs.length !== n) throw new Error(`semiring ${name}: expected ${n} lanes, got ${xs.length}`);
    return Object.fromEntries(xs.map((x, i) => [laneVar(arg, i), x]));
  };
  const fill = (tpl: readonly Sx[], e: Record<string, Sx>) => tpl.map((t) => S.substitute(t, e));

  return {
    name,
    summary: str("summary", `user semiring ${name}`),
    reads: str("reads", "value"),
    lanes,
    zero: numbers("zero"),
    one: numbers("one"),
    plus: (a, b) => fill(plusT, { ...env("a", a), ...env("b", b) }),
    times: (a, b) => fill(timesT, { ...env("a", a), ...env("b", b) }),
    lift: (w) => fill(liftT, { "semiring.w": w }),
    readout: (a) => fill(readoutT, env("a", a)),
    // Nothing is declared beyond idempotence (which the user vouches for): backends read no law.
    traits: opaqueTraits(idem),
  };
}
