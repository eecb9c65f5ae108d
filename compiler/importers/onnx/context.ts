// The state of one import: the semic graph being built, what each ONNX value name stands for
// (a graph node, or a tensor known at import time), and the errors that name the ONNX node.

import { GraphBuilder, SemicError } from "../../../ir/graph.ts";
import type { OpName } from "../../../ir/ops/index.ts";
import type { Attrs } from "../../../ir/ops/rule.ts";
import { showType, type TensorType } from "../../../ir/types.ts";
import type { AttrValue, OnnxModel, OnnxNode } from "./proto.ts";
import type { ConstTensor } from "./tensor.ts";

/**
 * An ONNX value: a node of the semic graph, or a tensor known at import time. A float initializer
 * is known (shape arithmetic may read it) but becomes a param, under its own name, when an op
 * uses it as data.
 */
export type Val = { readonly node: number } | { readonly konst: ConstTensor; readonly param?: string };

export const isNode = (v: Val): v is { readonly node: number } => "node" in v;
/** Known at import time and not a param: its values may be folded into the graph. */
export const isFoldable = (v: Val): v is { konst: ConstTensor } => "konst" in v && v.param === undefined;

export class Lowering {
  readonly b: GraphBuilder;
  readonly #env = new Map<string, Val>();
  readonly #unavailable = new Map<string, string>();
  readonly #params = new Map<string, number>();
  readonly #constants = new Map<ConstTensor, number>();
  /** The node being lowered, for error messages. */
  current: OnnxNode | undefined;

  constructor(readonly model: OnnxModel, graphName: string) {
    this.b = new GraphBuilder(graphName);
  }

  /** An error about the current node: `file: node "name" (OpType, opset N): message`. */
  fail(message: string, code = "E_ONNX"): never {
    const n = this.current;
    const where = n ? `node "${n.name}" (${n.opType}, ${this.model.dialect ?? `opset ${this.model.opset}`}): ` : "";
    throw new SemicError(code, `${this.model.file}: ${where}${message}`);
  }

  set(name: string, v: Val): void {
    this.#env.set(name, v);
  }

  /** A value the import does not produce; using it is an error saying why. */
  unavailable(name: string, why: string): void {
    this.#unavailable.set(name, why);
  }

  has(name: string): boolean {
    return this.#env.has(name);
  }

  get(name: string): Val {
    const v = this.#env.get(name);
    const why = this.#unavailable.get(name);
    if (!v && why) this.fail(`uses "${name}": ${why}`);
    if (!v) this.fail(`value "${name}" is used before it is defined (is the graph topologically sorted?)`);
    return v;
  }

  /** The i-th input of the current node, or undefined when it is absent (optional inputs). */
  input(i: number): Val | undefined {
    const name = this.current?.inputs[i];
    return name ? this.get(name) : undefined;
  }

  need(i: number, what: string): Val {
    return this.input(i) ?? this.fail(`missing input ${i} (${what})`);
  }

  /** A tensor the current node needs at import time (a shape, axes, an exponent…). */
  known(i: number, what: string): ConstTensor {
    const v = this.need(i, what);
    if ("konst" in v) return v.konst;
    return this.fail(`${what} (input ${i}, "${this.current?.inputs[i]}") must be known at import time, but it is computed by the model`);
  }

  /** The value as a node of the semic graph: params and constants are added on first use. */
  node(v: Val): number {
    if ("node" in v) return v.node;
    const k = v.konst;
    if (k.kind !== "float") this.fail(`an ${k.kind} tensor [${k.shape.join(",")}] is used as data; semic differentiates float tensors only`);
    if (k.shape.some((d) => d === 0)) this.fail(`an empty tensor [${k.shape.join(",")}] is used as data`);
    if (v.param !== undefined) {
      let id = this.#params.get(v.param);
      if (id === undefined) this.#params.set(v.param, (id = this.add("param", [], { name: v.param, shape: [...k.shape] })));
      return id;
    }
    let id = this.#constants.get(k);
    if (id === undefined) this.#constants.set(k, (id = this.add("constant", [], { shape: [...k.shape], values: [...k.data] })));
    return id;
  }

  type(v: Val): TensorType {
    return "node" in v ? this.b.nodes[v.node]!.type : { dtype: v.konst.kind === "float" ? "f32" : "i32", shape: v.konst.shape };
  }

  shape(v: Val): readonly number[] {
    return this.type(v).shape;
  }

  /** Adds a semic node; shape errors are reported against the current ONNX node. */
  add(op: OpName, inputs: readonly number[], attrs: Attrs = {}): number {
    try {
      return this.b.add(op, inputs, attrs);
    } catch (e) {
      if (e instanceof SemicError) this.fail(`${e.message} (operands ${inputs.map((i) => showType(this.b.nodes[i]!.type)).join(", ")})`);
      throw e;
    }
  }

  readonly #fromInputs: boolean[] = [];
  /** Whether a node depends on a model input (and not only on params and constants). */
  dependsOnInput(id: number): boolean {
    const nodes = this.b.nodes;
    for (let i = this.#fromInputs.length; i < nodes.length; i++) {
      const n = nodes[i]!;
      this.#fromInputs.push(n.op === "input" || n.inputs.some((x) => this.#fromInputs[x]));
    }
    return this.#fromInputs[id]!;
  }

  /** The params this import created, by name. */
  get params(): ReadonlyMap<string, number> {
    return this.#params;
  }

  // ---- attributes of the current node

  attr(name: string): AttrValue | undefined {
    return this.current?.attrs.get(name);
  }

  int(name: string, fallback?: number): number {
    const a = this.attr(name);
    if (a === undefined && fallback !== undefined) return fallback;
    if (typeof a !== "number" || !Number.isInteger(a)) this.fail(`attribute ${name} must be an integer, got ${JSON.stringify(a)}`);
    return a;
  }

  float(name: string, fallback: number): number {
    const a = this.attr(name);
    if (a === undefined) return fallback;
    if (typeof a !== "number") this.fail(`attribute ${name} must be a number, got ${JSON.stringify(a)}`);
    return a;
  }

  ints(name: string): number[] | undefined {
    const a = this.attr(name);
    if (a === undefined) return undefined;
    if (!Array.isArray(a) || !a.every((x) => typeof x === "number")) this.fail(`attribute ${name} must be a list of integers`);
    return [...(a)];
  }

  str(name: string, fallback: string): string {
    const a = this.attr(name);
    if (a === undefined) return fallback;
    if (typeof a !== "string") this.fail(`attribute ${name} must be a string`);
    return a;
  }
}
