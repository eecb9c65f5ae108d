// The graph verifier: everything a well-formed Graph promises, checked from the registry alone.
// Codes: E_SSA (order / undefined values), E_UNKNOWN_OP, E_ARITY, E_ATTR (per the op's AttrSchema),
// E_TYPE (stored type ≠ re-inferred type), E_OUTPUT (output not a scalar), E_NAME (one leaf name,
// two meanings).

import { isOpName, SemicError, type Graph, type Node } from "./graph.ts";
import { opRules, type OpName } from "./ops/index.ts";
import { isLeaf, type Attr, type AttrKind, type Attrs, type AttrSchema } from "./ops/rule.ts";
import { ShapeError, showType, type TensorType } from "./types.ts";

export interface AttrSpec {
  readonly key: string;
  readonly kind: AttrKind;
  readonly optional: boolean;
}

/** An op's attribute schema as a list, in declaration order (the order the printer uses). */
export function attrSpecs(schema: AttrSchema): AttrSpec[] {
  return Object.entries(schema).map(([key, k]) => {
    const optional = k.endsWith("?");
    return { key, kind: (optional ? k.slice(0, -1) : k) as AttrKind, optional };
  });
}

const isNumList = (v: Attr): v is readonly number[] => Array.isArray(v) && v.every((x) => typeof x === "number");

/** Whether an attribute value has the schema's kind. */
export function attrFits(kind: AttrKind, v: Attr): boolean {
  switch (kind) {
    case "int": return typeof v === "number" && Number.isInteger(v);
    case "float": return typeof v === "number";
    case "ints": return isNumList(v) && v.every((x) => Number.isInteger(x));
    case "floats": return isNumList(v);
    case "string": return typeof v === "string";
    case "bool": return typeof v === "boolean";
  }
}

const showNum = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));
const showAttrValue = (v: Attr): string =>
  Array.isArray(v) ? `[${(v as readonly unknown[]).map((x) => (typeof x === "number" ? showNum(x) : JSON.stringify(x))).join(", ")}]`
  : typeof v === "number" ? showNum(v)
  : JSON.stringify(v);

export interface AttrProblem {
  /** unknown: the key is not in the schema; kind: the value has the wrong kind; missing: a required key is absent. */
  readonly what: "unknown" | "kind" | "missing";
  readonly key: string;
  readonly message: string;
}

/** Problems with a node's attributes: unknown keys and ill-typed values in attrs order, then missing keys. */
export function attrProblems(op: OpName, attrs: Attrs): AttrProblem[] {
  const specs = attrSpecs(opRules[op].attrs);
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const takes = specs.length ? specs.map((s) => s.key).join(", ") : "none";
  const out: AttrProblem[] = [];
  for (const [key, v] of Object.entries(attrs)) {
    if (v === undefined) continue; // an explicit undefined is an absent attribute
    const spec = byKey.get(key);
    if (!spec) out.push({ what: "unknown", key, message: `${op} has no attribute "${key}" (it takes: ${takes})` });
    else if (!attrFits(spec.kind, v))
      out.push({ what: "kind", key, message: `attribute "${key}" of ${op} must be ${spec.kind}, got ${showAttrValue(v)}` });
  }
  for (const s of specs)
    if (!s.optional && attrs[s.key] === undefined)
      out.push({ what: "missing", key: s.key, message: `${op} needs attribute "${s.key}" (${s.kind})` });
  return out;
}

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
