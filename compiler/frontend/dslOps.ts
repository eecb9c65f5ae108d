// The DSL functions of runtime/dsl.ts, as GraphBuilder calls: one table entry per function.
// Each call becomes one node (numbers passed as tensors become scalar constants first), at the
// call's location, so shape errors point at the call.

import type { Node } from "ts-morph";
import { isOpName, type GraphBuilder } from "../../ir/graph.ts";
import type { Attrs } from "../../ir/ops/rule.ts";
import type { EvalContext } from "./context.ts";
import { lowerSemiring } from "./semiring.ts";
import { describe, isData, ModelVal, ObjVal, SemiringVal, TensorVal, type Value } from "./values.ts";

/** One DSL call being lowered: argument conversion and node creation. */
class DslCall {
  constructor(
    readonly ev: EvalContext,
    readonly fn: string,
    readonly args: readonly Value[],
    readonly at: Node,
  ) {}

  fail(message: string, code = "E_TYPE"): never {
    return this.ev.fail(this.at, message, code);
  }

  #arg(i: number, want: string, v: Value = this.args[i]): never {
    return this.fail(`${this.fn}: argument ${i + 1} must be ${want}, got ${describe(v)}`);
  }

  get builder(): GraphBuilder {
    return this.ev.builder ?? this.fail(`${this.fn}() can only be called inside a model body`, "E_UNSUPPORTED_SYNTAX");
  }

  /** Adds one node; the op must be registered in ir/ops/index.ts. */
  node(op: string, inputs: readonly number[], attrs: Attrs = {}): TensorVal {
    if (!isOpName(op)) return this.fail(`the op \`${op}\` (for ${this.fn}) is not registered in ir/ops/index.ts`, "E_NO_RULE");
    const b = this.builder;
    const id = b.add(op, inputs, attrs, this.ev.loc(this.at));
    return new TensorVal(id, b.nodes[id]!.type);
  }

  /** A tensor operand; a number becomes a scalar constant. */
  tensor(i: number, v: Value = this.args[i]): number {
    if (v instanceof TensorVal) return v.id;
    if (typeof v === "number") return this.node("constant", [], { shape: [], values: [v] }).id;
    return this.#arg(i, "a tensor or a number", v);
  }

  tensors(i: number): number[] {
    const v = this.args[i];
    if (!Array.isArray(v)) return this.#arg(i, "an array of tensors");
    return v.map((x) => this.tensor(i, x));
  }

  int(i: number): number {
    const v = this.args[i];
    return typeof v === "number" && Number.isInteger(v) ? v : this.#arg(i, "an integer known at compile time");
  }

  num(i: number, fallback: number): number {
    const v = this.args[i] ?? fallback;
    return typeof v === "number" ? v : this.#arg(i, "a number known at compile time");
  }

  ints(i: number): number[] {
    const v = this.args[i];
    if (typeof v === "number" && Number.isInteger(v)) return [v];
    if (!Array.isArray(v)) return this.#arg(i, "an array of integers known at compile time");
    // Name the element: a fractional one usually comes from a --config value or a division.
    const bad = v.findIndex((d) => typeof d !== "number" || !Number.isInteger(d));
    if (bad < 0) return v as number[];
    const shown = v.length <= 8 && v.every((d) => typeof d === "number") ? `[${v.join(", ")}]` : "an array";
    const el = v[bad];
    const what = typeof el === "number" ? `${el}, not an integer` : describe(el);
    return this.fail(`${this.fn}: argument ${i + 1} must be an array of integers known at compile time, got ${shown} (element ${bad} is ${what})`);
  }

  str(i: number, allowed?: readonly string[]): string {
    const v = this.args[i];
    if (typeof v === "string" && (!allowed || allowed.includes(v))) return v;
    return this.#arg(i, allowed ? allowed.map((a) => `"${a}"`).join(" or ") : "a string known at compile time");
  }

  /** `{ key: ints(i) }` when argument i is given. */
  optInts(i: number, key: string): Attrs {
    return this.args[i] === undefined ? {} : { [key]: this.ints(i) };
  }
}

/** Nested arrays of numbers → row-major values and shape. */
function flatten(c: DslCall, v: Value): { shape: number[]; values: number[] } {
  if (typeof v === "number") return { shape: [], values: [v] };
  if (!Array.isArray(v) || v.length === 0) return c.fail(`constant: expected a number or non-empty nested arrays of numbers, got ${describe(v)}`);
  const parts = v.map((x) => flatten(c, x));
  const inner = parts[0]!.shape;
  if (!parts.every((p) => p.shape.join() === inner.join())) return c.fail("constant: nested arrays must be rectangular");
  return { shape: [v.length, ...inner], values: parts.flatMap((p) => p.values) };
}

type DslHandler = (c: DslCall) => Value;

const unary = (op: string): DslHandler => (c) => c.node(op, [c.tensor(0)]);
const binary = (op: string): DslHandler => (c) => c.node(op, [c.tensor(0), c.tensor(1)]);
const labelled = (op: string): DslHandler => (c) => c.node(op, [c.tensor(0)], { label: c.str(1) });

/** DSL function name (as declared in runtime/dsl.ts) → lowering. */
const dslOps: Readonly<Record<string, DslHandler>> = {
  model(c) {
    if (c.ev.builder) return c.fail("model() cannot be called inside a model body", "E_UNSUPPORTED_SYNTAX");
    const name = c.str(0);
    if (c.args.length < 3) return new ModelVal(name, undefined, c.args[1], c.at);
    const config = c.args[1];
    if (!(config instanceof ObjVal) || !isData(config))
      return c.fail("model: the config must be an object of compile-time constants (numbers, strings, booleans, arrays)", "E_CONFIG");
    return new ModelVal(name, config, c.args[2], c.at);
  },
  defineSemiring: (c) => new SemiringVal(lowerSemiring(c.ev, c.args[0], c.at)),

  input: (c) => c.node("input", [], { name: c.str(0), shape: c.ints(1), ...(c.args[2] === undefined ? {} : { dtype: c.str(2, ["f32", "i32"]) }) }),
  param: (c) => c.node("param", [], { name: c.str(0), shape: c.ints(1) }),
  constant: (c) => c.node("constant", [], flatten(c, c.args[0])),

  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  neg: unary("neg"),
  exp: unary("exp"),
  log: unary("log"),
  sqrt: unary("sqrt"),
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid"),
  relu: unary("relu"),
  gelu: (c) => c.node("gelu", [c.tensor(0)], { approximate: c.args[1] === undefined ? "erf" : c.str(1, ["erf", "tanh"]) }),

  matmul: binary("matmul"),
  transpose: (c) => c.node("transpose", [c.tensor(0)], c.optInts(1, "perm")),
  reshape: (c) => c.node("reshape", [c.tensor(0)], { shape: c.ints(1) }),
  slice: (c) => c.node("slice", [c.tensor(0)], { axis: c.int(1), start: c.int(2), end: c.int(3) }),
  concat: (c) => c.node("concat", c.tensors(0), { axis: c.int(1) }),
  sum: (c) => c.node("sum", [c.tensor(0)], c.optInts(1, "axes")),
  mean: (c) => c.node("mean", [c.tensor(0)], c.optInts(1, "axes")),
  softmax: unary("softmax"),
  logSoftmax: unary("log_softmax"),
  // eps defaults to 1e-5 (PyTorch's default); BERT checkpoints use 1e-12 and pass it.
  layerNorm: (c) => c.node("layer_norm", [c.tensor(0), c.tensor(1), c.tensor(2)], { eps: c.num(3, 1e-5) }),
  linear: (c) => c.node("linear", c.args[2] === undefined ? [c.tensor(0), c.tensor(1)] : [c.tensor(0), c.tensor(1), c.tensor(2)]),
  gather: binary("gather"),
  pick: (c) => c.node("pick", [c.tensor(0)], { index: c.ints(1) }),

  branch: labelled("branch"),
  name: labelled("name"),
};

/** Lowers a call to the DSL function `fn` with evaluated arguments. */
export function callDsl(ev: EvalContext, fn: string, args: readonly Value[], at: Node): Value {
  const h = Object.prototype.hasOwnProperty.call(dslOps, fn) ? dslOps[fn] : undefined;
  if (!h) return ev.fail(at, `\`${fn}\` from semic/dsl is not a function`, "E_TYPE");
  if (!ev.builder && fn !== "model" && fn !== "defineSemiring")
    return ev.fail(at, `${fn}() can only be called inside a model body`, "E_UNSUPPORTED_SYNTAX");
  return h(new DslCall(ev, fn, args, at));
}
