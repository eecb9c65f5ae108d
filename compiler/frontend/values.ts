// Values of the partial evaluator: what a DSL expression evaluates to at compile time.
// Compile-time data (numbers, strings, booleans, arrays, objects), graph tensors, symbolic
// scalars (inside defineSemiring bodies), and callables (helpers, DSL functions, builtins).

import type { Node, ParameterDeclaration } from "ts-morph";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import type { Sx } from "../../ir/scalar.ts";
import type { TensorType } from "../../ir/types.ts";

export type Value =
  | number
  | string
  | boolean
  | undefined
  | Value[]
  | ObjVal
  | TensorVal
  | SxVal
  | FnVal
  | DslFnVal
  | BuiltinVal
  | ModelVal
  | SemiringVal
  | OpaqueVal;

/** A plain object (object literals, the config, a namespace import). */
export class ObjVal {
  constructor(readonly props: Map<string, Value> = new Map()) {}
}

/** A node of the graph being built. */
export class TensorVal {
  constructor(
    readonly id: number,
    readonly type: TensorType,
  ) {}
}

/** A symbolic scalar: lane values inside a defineSemiring function. */
export class SxVal {
  constructor(readonly x: Sx) {}
}

/** A helper written in a DSL file (function declaration, arrow, function expression, method). */
export class FnVal {
  constructor(
    readonly name: string,
    readonly params: readonly ParameterDeclaration[],
    readonly body: Node,
    readonly closure: Scope,
  ) {}
}

/** A function declared in runtime/dsl.ts. */
export class DslFnVal {
  constructor(readonly name: string) {}
}

/** A JS builtin the evaluator knows (Math.exp, array methods). */
export class BuiltinVal {
  constructor(
    readonly name: string,
    readonly call: (args: readonly Value[], at: Node) => Value,
  ) {}
}

/** A `model(...)` call: built into a graph only when loaded. */
export class ModelVal {
  constructor(
    readonly name: string,
    readonly config: ObjVal | undefined,
    readonly body: Value,
    readonly at: Node,
  ) {}
}

export class SemiringVal {
  constructor(readonly semiring: Semiring) {}
}

/** A name with no compile-time value (ambient declarations, foreign imports); using it is an error. */
export class OpaqueVal {
  constructor(readonly why: string) {}
}

export interface Binding {
  value: Value;
  readonly mutable: boolean;
  /** Imports are resolved on first use. */
  lazy?: () => Value;
}

export class Scope {
  readonly vars = new Map<string, Binding>();
  constructor(readonly parent?: Scope) {}

  lookup(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  define(name: string, value: Value, mutable: boolean): void {
    this.vars.set(name, { value, mutable });
  }
}

/** A short description of a value's kind, for messages. */
export function describe(v: Value): string {
  if (v === undefined) return "undefined";
  if (typeof v !== "object") return typeof v;
  if (Array.isArray(v)) return "an array";
  if (v instanceof TensorVal) return `a tensor ${v.type.dtype}[${v.type.shape.join(",")}]`;
  if (v instanceof SxVal) return "a lane value";
  if (v instanceof ObjVal) return "an object";
  if (v instanceof ModelVal) return "a model";
  if (v instanceof SemiringVal) return "a semiring";
  if (v instanceof OpaqueVal) return "a value unknown at compile time";
  return "a function";
}

/** Compile-time data → plain JS (config objects). */
export function toPlain(v: Value): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof ObjVal) return Object.fromEntries([...v.props].map(([k, x]) => [k, toPlain(x)]));
  return v;
}

/** Whether a value is compile-time data (may be a config value, a constant or a condition). */
export function isData(v: Value): boolean {
  if (v === undefined || typeof v !== "object") return true;
  if (Array.isArray(v)) return v.every(isData);
  if (v instanceof ObjVal) return [...v.props.values()].every(isData);
  return false;
}
