// Operators and the few JS builtins the partial evaluator knows: arithmetic on compile-time
// numbers (folded) and on lane values (built as Sx), `Math`, and array methods.

import { SyntaxKind, ts, type Node } from "ts-morph";
import * as S from "../../ir/scalar.ts";
import type { Sx } from "../../ir/scalar.ts";
import { BuiltinVal, describe, ObjVal, SxVal, TensorVal, type Value } from "./values.ts";

export type Fail = (at: Node, message: string, code?: string) => never;
export type Call = (fn: Value, args: readonly Value[], at: Node) => Value;

/** A lane value as Sx: numbers and booleans are constants. */
export function toSx(v: Value, at: Node, fail: Fail): Sx {
  if (typeof v === "number") return S.c(v);
  if (typeof v === "boolean") return S.c(v ? 1 : 0);
  if (v instanceof SxVal) return v.x;
  return fail(at, `expected a number or a lane value, got ${describe(v)}`, "E_TYPE");
}

const dslFor: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.PlusToken]: "add(a, b)",
  [SyntaxKind.MinusToken]: "sub(a, b)",
  [SyntaxKind.AsteriskToken]: "mul(a, b)",
  [SyntaxKind.SlashToken]: "div(a, b)",
};

const sxBinary: Partial<Record<SyntaxKind, (a: Sx, b: Sx) => Sx>> = {
  [SyntaxKind.PlusToken]: S.add,
  [SyntaxKind.MinusToken]: S.sub,
  [SyntaxKind.AsteriskToken]: S.mul,
  [SyntaxKind.SlashToken]: S.div,
  [SyntaxKind.LessThanToken]: S.lt,
  [SyntaxKind.LessThanEqualsToken]: S.le,
  [SyntaxKind.GreaterThanToken]: S.gt,
  [SyntaxKind.GreaterThanEqualsToken]: S.ge,
  [SyntaxKind.EqualsEqualsEqualsToken]: S.eq,
  [SyntaxKind.EqualsEqualsToken]: S.eq,
  [SyntaxKind.ExclamationEqualsEqualsToken]: S.ne,
  [SyntaxKind.ExclamationEqualsToken]: S.ne,
};

const numBinary: Partial<Record<SyntaxKind, (a: number, b: number) => number | boolean>> = {
  [SyntaxKind.MinusToken]: (a, b) => a - b,
  [SyntaxKind.AsteriskToken]: (a, b) => a * b,
  [SyntaxKind.SlashToken]: (a, b) => a / b,
  [SyntaxKind.PercentToken]: (a, b) => a % b,
  [SyntaxKind.AsteriskAsteriskToken]: (a, b) => a ** b,
  [SyntaxKind.AmpersandToken]: (a, b) => a & b,
  [SyntaxKind.BarToken]: (a, b) => a | b,
  [SyntaxKind.CaretToken]: (a, b) => a ^ b,
  [SyntaxKind.LessThanLessThanToken]: (a, b) => a << b,
  [SyntaxKind.GreaterThanGreaterThanToken]: (a, b) => a >> b,
  [SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: (a, b) => a >>> b,
};

const ordered: Partial<Record<SyntaxKind, (a: number | string, b: number | string) => boolean>> = {
  [SyntaxKind.LessThanToken]: (a, b) => a < b,
  [SyntaxKind.LessThanEqualsToken]: (a, b) => a <= b,
  [SyntaxKind.GreaterThanToken]: (a, b) => a > b,
  [SyntaxKind.GreaterThanEqualsToken]: (a, b) => a >= b,
};

/** `l op r` for a binary operator token (not assignments, not && || ??). */
export function binaryOp(op: SyntaxKind, l: Value, r: Value, at: Node, fail: Fail): Value {
  const text = ts.tokenToString(op) ?? SyntaxKind[op];
  if (l instanceof TensorVal || r instanceof TensorVal) {
    const dsl = dslFor[op];
    if (dsl) return fail(at, `operator \`${text}\` cannot be applied to tensors: use the DSL op ${dsl}`);
    return fail(at, `operator \`${text}\` on a tensor: tensor values are not known at compile time (loop bounds and conditions must be compile-time values)`);
  }
  if (l instanceof SxVal || r instanceof SxVal) {
    const f = sxBinary[op];
    if (!f) return fail(at, `operator \`${text}\` is not supported on lane values (use + - * /, comparisons, Math functions)`);
    return new SxVal(f(toSx(l, at, fail), toSx(r, at, fail)));
  }
  if (op === SyntaxKind.EqualsEqualsEqualsToken || op === SyntaxKind.EqualsEqualsToken) return l === r;
  if (op === SyntaxKind.ExclamationEqualsEqualsToken || op === SyntaxKind.ExclamationEqualsToken) return l !== r;
  if (op === SyntaxKind.PlusToken) {
    if (typeof l === "number" && typeof r === "number") return l + r;
    if ((typeof l === "string" || typeof r === "string") && isPrimitive(l) && isPrimitive(r)) return String(l) + String(r);
  }
  const cmp = ordered[op];
  if (cmp && ((typeof l === "number" && typeof r === "number") || (typeof l === "string" && typeof r === "string")))
    return cmp(l, r);
  const f = numBinary[op];
  if (f && typeof l === "number" && typeof r === "number") return f(l, r);
  return fail(at, `operator \`${text}\` is not supported on ${describe(l)} and ${describe(r)}`, "E_TYPE");
}

const isPrimitive = (v: Value): v is number | string | boolean | undefined =>
  v === undefined || typeof v === "number" || typeof v === "string" || typeof v === "boolean";

/** Template-string and join conversion of compile-time data. */
export function show(v: Value, at: Node, fail: Fail): string {
  if (isPrimitive(v)) return String(v);
  if (Array.isArray(v)) return v.map((x) => show(x, at, fail)).join(",");
  return fail(at, `${describe(v)} cannot be converted to a string at compile time`, "E_TYPE");
}

// ---------------------------------------------------------------- Math

const mathUnary: Readonly<Record<string, [(x: number) => number, ((x: Sx) => Sx) | undefined]>> = {
  exp: [Math.exp, S.exp],
  log: [Math.log, S.log],
  log1p: [Math.log1p, S.log1p],
  sqrt: [Math.sqrt, S.sqrt],
  abs: [Math.abs, S.abs],
  tanh: [Math.tanh, S.tanh],
  sin: [Math.sin, S.sin],
  cos: [Math.cos, S.cos],
  floor: [Math.floor, S.floor],
  ceil: [Math.ceil, undefined],
  round: [Math.round, undefined],
  trunc: [Math.trunc, undefined],
  sign: [Math.sign, undefined],
};

/** What to write instead of Math.<fn>(tensor): the DSL op of that name, or a composition where there is none. */
const tensorMath: Readonly<Record<string, string>> = {
  exp: "use the DSL op exp(x)",
  log: "use the DSL op log(x)",
  sqrt: "use the DSL op sqrt(x)",
  tanh: "use the DSL op tanh(x)",
  sin: "use the DSL op sin(x)",
  cos: "use the DSL op cos(x)",
  abs: "there is no abs op; write add(relu(x), relu(neg(x)))",
  max: "there is no elementwise max op; max(a, b) is add(b, relu(sub(a, b)))",
  min: "there is no elementwise min op; min(a, b) is sub(a, relu(sub(a, b)))",
};

/** The global `Math`: folds on numbers, builds Sx on lane values. */
export function makeMath(fail: Fail): ObjVal {
  const props = new Map<string, Value>([
    ["PI", Math.PI],
    ["E", Math.E],
  ]);
  const arg = (name: string, v: Value, at: Node, sxOk: boolean): number | Sx => {
    if (typeof v === "number") return v;
    if (v instanceof SxVal && sxOk) return v.x;
    if (v instanceof TensorVal) {
      const instead = tensorMath[name] ?? "tensors are not known at compile time";
      return fail(at, `Math.${name} needs compile-time numbers, got ${describe(v)}: ${instead}`, "E_TYPE");
    }
    return fail(at, `Math.${name} ${sxOk ? "needs numbers or lane values" : "works on compile-time numbers only"}, got ${describe(v)}`, "E_TYPE");
  };
  for (const [name, [num, sx]] of Object.entries(mathUnary)) {
    props.set(name, new BuiltinVal(`Math.${name}`, (args, at) => {
      const x = arg(name, args[0], at, sx !== undefined);
      return typeof x === "number" ? num(x) : new SxVal(sx!(x));
    }));
  }
  for (const [name, num, sx] of [["max", Math.max, S.max], ["min", Math.min, S.min]] as const) {
    props.set(name, new BuiltinVal(`Math.${name}`, (args, at) => {
      const xs = args.map((a) => arg(name, a, at, true));
      if (xs.every((x) => typeof x === "number")) return num(...(xs));
      if (xs.length === 0) return fail(at, `Math.${name} needs at least one argument`, "E_TYPE");
      return new SxVal(xs.map((x) => (typeof x === "number" ? S.c(x) : x)).reduce((a, b) => sx(a, b)));
    }));
  }
  props.set("pow", new BuiltinVal("Math.pow", (args, at) => {
    const [a, b] = [arg("pow", args[0], at, false), arg("pow", args[1], at, false)] as number[];
    return a! ** b!;
  }));
  props.set("random", new BuiltinVal("Math.random", (_args, at) =>
    fail(at, "Math.random() is not supported: a model must be deterministic at compile time")));
  return new ObjVal(props);
}

// ---------------------------------------------------------------- arrays

const intArg = (v: Value, fallback: number): number => (typeof v === "number" ? Math.trunc(v) : fallback);

/** `arr.key`: length and a few methods, with callbacks run by the evaluator. */
export function arrayMember(arr: Value[], key: string, at: Node, call: Call, fail: Fail): Value {
  const method = (f: (args: readonly Value[], at: Node) => Value) => new BuiltinVal(key, f);
  const callback = (v: Value, at: Node) => (v === undefined ? fail(at, `${key} needs a function`, "E_TYPE") : v);
  switch (key) {
    case "length": return arr.length;
    case "push": return method((args) => arr.push(...args));
    case "map": return method((args, at) => arr.map((x, i) => call(callback(args[0], at), [x, i], at)));
    case "filter": return method((args, at) => arr.filter((x, i) => truthyData(call(callback(args[0], at), [x, i], at), at, fail)));
    case "forEach": return method((args, at) => void arr.forEach((x, i) => call(callback(args[0], at), [x, i], at)));
    case "reduce": return method((args, at) => {
      const f = callback(args[0], at);
      if (args.length < 2 && arr.length === 0) return fail(at, "reduce of an empty array with no initial value", "E_TYPE");
      let acc = args.length >= 2 ? args[1] : arr[0];
      for (let i = args.length >= 2 ? 0 : 1; i < arr.length; i++) acc = call(f, [acc, arr[i], i], at);
      return acc;
    });
    case "slice": return method((args) => arr.slice(intArg(args[0], 0), intArg(args[1], arr.length)));
    case "concat": return method((args) => arr.concat(...args.map((a) => (Array.isArray(a) ? a : [a]))));
    case "includes": return method((args) => arr.includes(args[0]));
    case "indexOf": return method((args) => arr.indexOf(args[0]));
    case "join": return method((args, at) => arr.map((x) => show(x, at, fail)).join(typeof args[0] === "string" ? args[0] : ","));
    default: return fail(at, `array method \`${key}\` is not supported at compile time (supported: length, push, map, filter, forEach, reduce, slice, concat, includes, indexOf, join)`);
  }
}

/** JS truthiness of compile-time data; tensors and lane values have none at compile time. */
export function truthyData(v: Value, at: Node, fail: Fail, what = "a condition"): boolean {
  if (v instanceof TensorVal) return fail(at, `${what} must be known at compile time, but it is ${describe(v)}`);
  if (v instanceof SxVal) return fail(at, `${what} on lane values is not supported: use ?: (it becomes a select)`);
  return typeof v === "object" ? true : Boolean(v);
}
