// What `semic run` prints: the JSON of DESIGN.md §3 (typed arrays as nested arrays, ±Infinity as
// the strings "Infinity"/"-Infinity", since JSON has no infinities), or a readable report.

import type { Semiring } from "../../ir/semirings/semiring.ts";
import { toNested, type Nested } from "../../runtime/weights.ts";
import type { GeneratedResult, GeneratedStep, GeneratedTensor } from "../compile.ts";

export interface RunOutput {
  readonly output: number;
  readonly results: Record<string, GeneratedResult>;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Lanes have the tensor's shape; a k-valued readout (topk) adds a trailing [k] to `shape`. */
const laneShape = (t: GeneratedTensor, lane: ArrayLike<number>) => (sizeOf(t.shape) === lane.length ? t.shape : t.shape.slice(0, -1));

const nested = (data: ArrayLike<number>, shape: readonly number[]): Nested => toNested(Array.from(data), shape);

function jsonTensor(t: GeneratedTensor, withLanes: boolean) {
  const base = { shape: t.shape, value: nested(t.value, t.shape) };
  if (!withLanes) return base;
  return { ...base, lanes: Object.fromEntries(Object.entries(t.lanes).map(([name, l]) => [name, nested(l, laneShape(t, l))])) };
}

const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** The §3 JSON object: output, and per semiring wrt, branches, topPath (selecting semirings), aggregated (when asked). */
export function jsonReport(run: RunOutput) {
  return {
    output: run.output,
    results: mapValues(run.results, (r) => ({
      wrt: mapValues(r.wrt, (t) => jsonTensor(t, true)),
      branches: mapValues(r.branches, (t) => jsonTensor(t, false)),
      ...(r.topPath ? { topPath: r.topPath.map((s) => ({ op: s.op, tensor: s.tensor, index: s.index, weight: s.weight })) } : {}),
      ...(r.aggregated ? { aggregated: mapValues(r.aggregated, (t) => ({ axes: t.axes, ...jsonTensor(t, true) })) } : {}),
    })),
  };
}

/** JSON text with non-finite numbers as strings and arrays of numbers kept on one line. */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2);
  return text
    .replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_m, items: string) => `[${items.split(/,\s+/).join(", ")}]`)
    .replace(/\{\s+("op": [^{}]*?)\s+\}/g, (_m, step: string) => `{ ${step.split(/,\n\s+/).join(", ")} }`);
}

// ---- readable report

/** A number in at most 6 significant digits. */
export const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))));

function unravel(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  for (let a = shape.length - 1; a >= 0; a--) {
    index.unshift(flat % shape[a]!);
    flat = Math.floor(flat / shape[a]!);
  }
  return index;
}

/** Number of elements (a k-valued readout has k values per element). */
const elementCount = (t: GeneratedTensor) => Object.values(t.lanes)[0]?.length ?? t.value.length;

/** Values of element `i` of a readout: one, or k for a k-valued readout. */
function elementValues(t: GeneratedTensor, i: number): number[] {
  const k = t.value.length / Math.max(1, elementCount(t));
  return Array.from(t.value.subarray(i * k, (i + 1) * k));
}

function showElement(name: string, t: GeneratedTensor, i: number): string {
  const shape = elementCount(t) === sizeOf(t.shape) ? t.shape : t.shape.slice(0, -1);
  const vs = elementValues(t, i).map(fmt);
  return `${name}[${unravel(i, shape).join(",")}] = ${vs.length === 1 ? vs[0] : `(${vs.join(", ")})`}`;
}

/** The `top` largest elements by (first) readout value, and the most negative ones when there are any. */
function topElements(name: string, t: GeneratedTensor, top: number): string[] {
  const n = elementCount(t);
  const first = (i: number) => elementValues(t, i)[0]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => first(b) - first(a) || a - b);
  const show = (is: number[]) => is.map((i) => showElement(name, t, i)).join("   ");
  if (n <= top) return [`by value: ${show(order)}`];
  const negative = order.filter((i) => first(i) < 0).reverse();
  return [`largest:  ${show(order.slice(0, top))}`, ...(negative.length > 0 ? [`smallest: ${show(negative.slice(0, top))}`] : [])];
}

/** A per-position list (e.g. one value per token), up to 32 entries. */
function listValues(t: GeneratedTensor): string {
  const n = elementCount(t);
  const shown = Array.from({ length: Math.min(n, 32) }, (_, i) => elementValues(t, i).map(fmt).join("/"));
  return `[${shown.join(", ")}${n > 32 ? `, … (${n - 32} more)` : ""}]`;
}

function pathTable(steps: readonly GeneratedStep[]): string[] {
  const rows = [["step", "op", "tensor", "index", "weight", "running product"]];
  let product = 1;
  steps.forEach((s, i) => {
    product *= s.weight;
    rows.push([String(i), s.op, s.tensor, `[${s.index.join(",")}]`, fmt(s.weight), fmt(product)]);
  });
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
}

const showPath = (steps: readonly GeneratedStep[]) => steps.map((s) => `${s.tensor}[${s.index.join(",")}]`).join(" → ");

export interface ReadableOptions {
  readonly model: string;
  readonly semirings: readonly Semiring[];
  /** Elements shown per tensor. */
  readonly top: number;
  /** Branches ⊕-aggregated per leading index by the CLI (not asked for by the user). */
  readonly perToken: ReadonlySet<string>;
  readonly timing: string;
}

export function readableReport(run: RunOutput, opts: ReadableOptions): string {
  const out: string[] = [`model ${opts.model}`, `output: ${fmt(run.output)}`];
  for (const sr of opts.semirings) {
    const r = run.results[sr.name];
    if (!r) continue;
    out.push("", `${sr.name} — reads ${sr.reads}: ${sr.summary}`);
    for (const [name, t] of Object.entries(r.wrt)) {
      out.push(`  wrt ${name} [${t.shape.join(",")}]`);
      for (const line of topElements(name, t, opts.top)) out.push(`    ${line}`);
    }
    for (const [label, t] of Object.entries(r.branches)) {
      const agg = r.aggregated?.[label];
      if (agg && opts.perToken.has(label)) {
        out.push(`  branch ${label} [${t.shape.join(",")}], ⊕ over axes ${agg.axes.join(",")} per position: ${listValues(agg)}`);
        continue;
      }
      out.push(`  branch ${label} [${t.shape.join(",")}]`);
      for (const line of topElements(label, t, opts.top)) out.push(`    ${line}`);
    }
    for (const [name, t] of Object.entries(r.aggregated ?? {})) {
      if (opts.perToken.has(name)) continue;
      out.push(`  aggregated ${name}, ⊕ over axes [${t.axes.join(",")}] → [${t.shape.join(",")}]: ${listValues(t)}`);
    }
    if (r.topPath && r.topPath.length > 0) {
      const start = r.topPath[0]!;
      out.push(`  top path from ${start.tensor}[${start.index.join(",")}] (lane value ${fmt(r.topPathValue ?? NaN)}):`);
      for (const line of pathTable(r.topPath)) out.push(`    ${line}`);
      for (const [i, p] of (r.topPaths ?? []).entries()) {
        if (i > 0) out.push(`    #${i + 1} (value ${fmt(p.value)}): ${showPath(p.steps)}`);
      }
    }
  }
  out.push("", opts.timing);
  return out.join("\n");
}
