// --branch LABEL=PATTERN and --name LABEL=PATTERN: globs over ONNX node and value names that
// place semic's branch() and name() on an imported graph.

import { SemicError } from "../../../ir/graph.ts";

export interface Selector {
  readonly label: string;
  readonly pattern: string;
  /** --branch only: which input of the matched node (default: its one input computed by the model). */
  readonly slot?: number;
}

/** `*` matches any run of characters (slashes included), `?` one character; the whole name must match. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** "label=pattern" (and for branches an optional ":input" suffix). */
export function parseSelector(option: string, text: string, withSlot: boolean): Selector {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) throw new SemicError("E_CLI", `${option}: expected LABEL=PATTERN (e.g. key=*/attention/self/key/MatMul), got "${text}"`);
  const label = text.slice(0, eq).trim();
  let pattern = text.slice(eq + 1).trim();
  let slot: number | undefined;
  const m = withSlot ? /^(.*):(\d+)$/.exec(pattern) : null;
  if (m) [pattern, slot] = [m[1]!, Number(m[2])];
  if (!/^[A-Za-z_][\w.-]*$/.test(label)) throw new SemicError("E_CLI", `${option}: label "${label}" must be an identifier (letters, digits, _ . -)`);
  return { label, pattern, ...(slot !== undefined ? { slot } : {}) };
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Up to five names close to a pattern that matched nothing: sharing its last literal part, else by edit distance. */
export function nearNames(pattern: string, names: readonly string[]): string[] {
  const parts = pattern.split(/[*?/]/).filter((p) => p.length > 0);
  const last = parts[parts.length - 1]?.toLowerCase();
  const sharing = last ? names.filter((n) => n.toLowerCase().includes(last)) : [];
  const pool = sharing.length > 0 ? sharing : names;
  const literal = pattern.replace(/[*?]/g, "");
  return [...new Set(pool)].map((n) => [n, distance(literal, n)] as const).sort((a, b) => a[1] - b[1]).slice(0, 5).map(([n]) => n);
}

/** For each selector, the names it matches (in the given order); a selector matching nothing is an error. */
export function resolve(option: string, file: string, sels: readonly Selector[], names: readonly string[]): Map<Selector, string[]> {
  const out = new Map<Selector, string[]>();
  for (const s of sels) {
    const re = globToRegExp(s.pattern);
    const hits = names.filter((n) => re.test(n));
    if (hits.length === 0) {
      const near = nearNames(s.pattern, names);
      throw new SemicError("E_CLI", `${option} ${s.label}=${s.pattern}: no ${option === "--branch" ? "node" : "node or value"} of ${file} matches${near.length ? `; near: ${near.join(", ")}` : ""}`);
    }
    out.set(s, hits);
  }
  return out;
}

/** The label of the k-th of n matches: the label itself for one match, else label.k. */
export const labelFor = (label: string, k: number, n: number): string => (n === 1 ? label : `${label}.${k}`);
