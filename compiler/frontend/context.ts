// What a DSL call (dslOps.ts, semiring.ts) needs of the evaluator that reaches it: the graph being
// built, located failure, and calling a function of the model's source. An interface, so that
// those files need not import the evaluator, which imports them.

import type { Node } from "ts-morph";
import type { GraphBuilder, SourceLoc } from "../../ir/graph.ts";
import type { Fail } from "./builtins.ts";
import type { Value } from "./values.ts";

export interface EvalContext {
  /** The graph being built; undefined outside model bodies. */
  builder: GraphBuilder | undefined;
  readonly fail: Fail;
  loc(node: Node): SourceLoc;
  call(fn: Value, args: readonly Value[], at: Node): Value;
}
