// The graph verifier: everything a well-formed Graph promises, checked from the registry alone.
// Codes: E_SSA (order / undefined values), E_UNKNOWN_OP, E_ARITY, E_ATTR (per the op's AttrSchema),
// E_TYPE (stored type ≠ re-inferred type), E_OUTPUT (output not a scalar), E_NAME (one leaf name,
// two meanings).

import { attrProblems } from "./attrs.ts";
import { isOpName, SemicError, type Graph, type Node } from "./graph.ts";
import { opRules } from "./ops/index.ts";
import { isLeaf } from "./ops/rule.ts";
import { ShapeError, showType, type TensorType } from "./types.ts";

const sameType = (a: TensorType, b: TensorType): boolean => showType(a) === showType(b);
const what = (n: Node): string => `%${n.id} = ${n.op}`;

function verifyNode(g: Graph, n: Node, k: number): void {
  if (n.id !== k) throw new SemicError("E_SSA", `the node at position ${k} has id %${n.id}; ids must be positions`, n.loc);
  if (!isOpName(n.op)) throw new SemicError("E_UNKNOWN_OP", `${what(n)}: unknown op "${String(n.op)}"`, n.loc);
  for (const x of n.inputs)
    if (!Number.isInteger(x) || x < 0 || x >= k)
      throw new SemicError("E_SSA", `${what(n)}: operand %${x} is not defined before use`, n.loc);
  const rule = opRules[n.op];
  const arity = rule.arity;
  if (typeof arity === "number" ? n.inputs.length !== arity : n.inputs.length < arity.min) {
    const want = typeof arity === "number" ? `${arity}` : `at least ${arity.min}`;
    throw new SemicError("E_ARITY", `${what(n)}: ${n.op} takes ${want} operand(s), got ${n.inputs.length}`, n.loc);
  }
  const problem = attrProblems(n.op, n.attrs)[0];
  if (problem) throw new SemicError("E_ATTR", `${what(n)}: ${problem.message}`, n.loc);
  const xs = n.inputs.map((x) => g.nodes[x]!.type);
  let inferred: TensorType;
  try {
    inferred = rule.infer(xs, n.attrs);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new SemicError("E_TYPE", `${what(n)}: ${n.op}(${xs.map(showType).join(", ")}): ${e.message}`, n.loc);
  }
  if (!sameType(inferred, n.type))
    throw new SemicError("E_TYPE", `${what(n)}: stored type ${showType(n.type)} differs from the inferred ${showType(inferred)}`, n.loc);
}

/** Throws a located SemicError for the first problem found; returns normally for a valid graph. */
export function verifyGraph(g: Graph): void {
  g.nodes.forEach((n, k) => verifyNode(g, n, k));
  const out = g.nodes[g.output];
  if (!Number.isInteger(g.output) || !out) throw new SemicError("E_SSA", `the output %${g.output} is not defined`);
  if (out.type.shape.length !== 0)
    throw new SemicError("E_OUTPUT", `the model output %${out.id} must be a scalar (pick or reduce first), got ${showType(out.type)}`, out.loc);
  // Leaves are fed by name (inputs and params), so one name must mean one leaf of one type.
  const leaves = new Map<string, Node>();
  for (const n of g.nodes) {
    const name = n.attrs["name"];
    if (!isLeaf(opRules[n.op]) || typeof name !== "string") continue;
    const first = leaves.get(name);
    if (!first) leaves.set(name, n);
    else if (first.op !== n.op || !sameType(first.type, n.type))
      throw new SemicError(
        "E_NAME",
        `${what(n)}: "${name}" is already ${first.op} %${first.id} of type ${showType(first.type)}, here ${n.op} of type ${showType(n.type)}`,
        n.loc,
      );
  }
}
