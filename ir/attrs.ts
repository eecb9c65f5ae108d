// Attribute schemas: an op's declared attributes as a list, and the problems of a node's attributes
// against them. Read by the graph builder (ir/graph.ts), the verifier and the IR text parser.

import { opRules, type OpName } from "./ops/index.ts";
import type { Attr, AttrKind, Attrs, AttrSchema } from "./ops/rule.ts";

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
