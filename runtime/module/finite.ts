// Non-finite forward values (exp(1000), log(0), x/0, a NaN weight): one pass over the forward
// buffers finds where the first one appears in program order, and which readouts it spoils.
// Embedded as text in every generated module (JS and WebGPU), so self-contained.
//
// The rule: an edge weight is a function of its op's operands and output, so an op with a
// non-finite operand or output may have non-finite edge weights. Every tensor upstream of such an
// op has paths through them, and its readout is NaN in every semiring (instead of whatever each
// semiring's arithmetic makes of ∞ and NaN: −∞ "no path" in maxprod, 0 or NaN in entropy).

/** One forward value buffer, in program order. */
export interface ValueInfo {
  readonly node: number;
  readonly op: string;
  /** The tensor's name (an input, param, or name() label) or `%n`. */
  readonly tensor: string;
  readonly shape: readonly number[];
  readonly operands: readonly number[];
  /** DSL `file:line:col`, when known. */
  readonly loc?: string;
}

export interface NonFinite {
  /** One line: the op, tensor, element and value where it first appears, and the consequence. */
  readonly message: string;
  /** Nodes whose readouts depend on a non-finite edge weight. */
  readonly spoiled: ReadonlySet<number>;
}

/** Index of the first NaN or ±Infinity in `a`, or −1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    // v − v is 0 for every finite v and NaN for NaN and ±∞: one subtraction per element.
    if (v - v !== 0) return i;
  }
  return -1;
}

function elementText(shape: readonly number[], flat: number): string {
  const index: number[] = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return `[${index.join(",")}]`;
}

/**
 * Scans forward buffers (null for integer ones, which are always finite) in program order; null
 * when every value is finite, the common case, which costs one pass and nothing else.
 */
export function scanForward(values: readonly (ArrayLike<number> | null)[], infos: readonly ValueInfo[]): NonFinite | null {
  let first = -1;
  let at = -1;
  for (let i = 0; i < values.length && first < 0; i++) {
    const buf = values[i];
    if (!buf) continue;
    at = firstNonFinite(buf);
    if (at >= 0) first = i;
  }
  if (first < 0) return null;
  const bad = new Set<number>([infos[first]!.node]);
  for (let i = first + 1; i < values.length; i++) {
    const buf = values[i];
    if (buf && firstNonFinite(buf) >= 0) bad.add(infos[i]!.node);
  }
  const byNode = new Map(infos.map((v) => [v.node, v]));
  const spoiled = new Set<number>();
  const stack: number[] = [];
  for (const v of infos)
    if (v.operands.length > 0 && (bad.has(v.node) || v.operands.some((o) => bad.has(o)))) stack.push(...v.operands);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (spoiled.has(id)) continue;
    spoiled.add(id);
    stack.push(...(byNode.get(id)?.operands ?? []));
  }
  const info = infos[first]!;
  const value = values[first]![at]!;
  const where = info.loc ? ` at ${info.loc}` : "";
  const message =
    `non-finite forward value: ${info.op} ${info.tensor}${elementText(info.shape, at)} = ${String(value)}${where} (the first in program order); ` +
    `every readout that depends on it is NaN`;
  return { message, spoiled };
}

interface Readout {
  value: Float64Array;
}
interface Spoilable {
  wrt: Record<string, Readout>;
  branches: Record<string, Readout>;
  aggregated?: Record<string, Readout>;
  topPath?: unknown[];
  topPathValue?: number;
  topPaths?: unknown[];
}

/**
 * Sets to NaN the readouts of one semiring's result that depend on a non-finite edge weight, and
 * drops a top path that starts at such a tensor (it has no meaningful value).
 */
export function spoilResult(res: Spoilable, nf: NonFinite, ids: Readonly<Record<string, number>>, topFrom: string | undefined): void {
  const spoiled = (name: string) => ids[name] !== undefined && nf.spoiled.has(ids[name]);
  for (const group of [res.wrt, res.branches, res.aggregated ?? {}])
    for (const [name, t] of Object.entries(group)) if (spoiled(name)) t.value.fill(NaN);
  if (res.topPath !== undefined && topFrom !== undefined && spoiled(topFrom)) {
    res.topPath = [];
    res.topPathValue = NaN;
    delete res.topPaths;
  }
}
