// Graph → canonical text. The printer owns value naming: %0, %1… in node order. Attributes
// print in the op's schema order (unknown keys after, sorted, so a broken graph still prints),
// numbers in JS's shortest round-tripping form (plus -0), strings as JSON.

import type { Graph, Node } from "../graph.ts";
import { opRules } from "../ops/index.ts";
import type { Attr } from "../ops/rule.ts";
import { showType } from "../types.ts";

export const formatNumber = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));

export function formatAttr(v: Attr): string {
  if (Array.isArray(v)) return `[${(v as readonly number[]).map(formatNumber).join(", ")}]`;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string") return JSON.stringify(v);
  return v ? "true" : "false";
}

const plainSymbol = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const formatSymbol = (name: string): string => `@${plainSymbol.test(name) ? name : JSON.stringify(name)}`;

function formatAttrs(n: Node): string {
  const schemaKeys = Object.keys(opRules[n.op]?.attrs ?? {});
  const present = Object.keys(n.attrs).filter((k) => (n.attrs)[k] !== undefined);
  const keys = [...schemaKeys.filter((k) => present.includes(k)), ...present.filter((k) => !schemaKeys.includes(k)).sort()];
  return keys.length ? ` {${keys.map((k) => `${k} = ${formatAttr((n.attrs)[k]!)}`).join(", ")}}` : "";
}

export function printGraph(g: Graph): string {
  const names = new Map(g.nodes.map((n, k) => [n.id, `%${k}`]));
  const ref = (id: number): string => names.get(id) ?? `%undefined_${id}`;
  const lines = g.nodes.map((n) => {
    const operands = n.inputs.length ? ` ${n.inputs.map(ref).join(", ")}` : "";
    return `  ${ref(n.id)} = ${n.op}${operands}${formatAttrs(n)} : ${showType(n.type)}`;
  });
  return [`model ${formatSymbol(g.name)} {`, ...lines, `  return ${ref(g.output)}`, "}", ""].join("\n");
}
