// Non-finite forward values (exp(1000), log(0), x/0, a NaN weight): one pass over the forward
// buffers finds where the first one appears in program order, and which readouts it spoils.
// Embedded as text in every generated module (JS and WebGPU), so self-contained.
//
// The rule: an edge's weight is a formula over its op's operands, output and saved values, so an
// edge set whose formula reads a tensor holding a non-finite value may have non-finite weights.
// Every tensor with a path through such an edge set reads NaN in every semiring whose lift reads
// the weight (count does not): instead of whatever each semiring's arithmetic makes of ∞ and NaN
// (−∞ "no path" in maxprod, 0 or NaN in entropy). Edges whose weights are constants (add, sum,
// movement ops) or read only finite tensors do not spoil anything, even next to an overflow.

/** One forward value buffer, in program order. */
export interface ValueInfo {
  readonly node: number;
  readonly op: string;
  /** The tensor's name (an input, param, or name() label) or `%n`. */
  readonly tensor: string;
  readonly shape: readonly number[];
  /** Params and constants: their values never change after createModel, so they are scanned once. */
  readonly fixed?: boolean;
  /** Labelled identities (name, branch): the node whose buffer this one shares. */
  readonly alias?: number;
  /** Edges into this node: [source node, nodes their weight formula reads]. */
  readonly edges: readonly (readonly [number, readonly number[]])[];
  /** DSL `file:line:col`, when known. */
  readonly loc?: string;
}

/** Scan results of the fixed buffers (params, constants), by position in the value list. */
export type ScanCache = ({ readonly at: number; readonly value: number } | undefined)[];

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

/** A faster test that buffer `i` is all finite (the JS module's WebAssembly SIMD scan). */
export type AllFinite = (i: number) => boolean;

/** Where buffer `i` first holds a non-finite value (−1: nowhere), from the cache if it is fixed. */
function scanOne(i: number, values: readonly (ArrayLike<number> | null)[], infos: readonly ValueInfo[], cache: ScanCache | undefined, allFinite: AllFinite | undefined): { at: number; value: number } {
  const cached = infos[i]!.fixed && cache ? cache[i] : undefined;
  if (cached) return cached;
  const buf = values[i];
  const at = buf && !allFinite?.(i) ? firstNonFinite(buf) : -1;
  const found = { at, value: at >= 0 ? buf![at]! : 0 };
  if (buf && infos[i]!.fixed && cache) cache[i] = found;
  return found;
}

/**
 * Scans forward buffers (null for integer ones, which are always finite, and for labelled
 * identities, which share their operand's) in program order; null when every value is finite, the
 * common case, which costs one pass and nothing else. Fixed buffers are scanned once per `cache`.
 */
export function scanForward(
  values: readonly (ArrayLike<number> | null)[],
  infos: readonly ValueInfo[],
  cache?: ScanCache,
  allFinite?: AllFinite,
): NonFinite | null {
  let first = -1;
  let hit = { at: -1, value: 0 };
  for (let i = 0; i < infos.length && first < 0; i++) {
    hit = scanOne(i, values, infos, cache, allFinite);
    if (hit.at >= 0) first = i;
  }
  if (first < 0) return null;
  const bad = new Set<number>([infos[first]!.node]);
  for (let i = first + 1; i < infos.length; i++) {
    const alias = infos[i]!.alias;
    if (alias !== undefined ? bad.has(alias) : scanOne(i, values, infos, cache, allFinite).at >= 0) bad.add(infos[i]!.node);
  }
  const sources = new Map(infos.map((v) => [v.node, v.edges.map(([src]) => src)]));
  const spoiled = new Set<number>();
  const stack: number[] = [];
  for (const v of infos) for (const [src, reads] of v.edges) if (reads.some((r) => bad.has(r))) stack.push(src);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (spoiled.has(id)) continue;
    spoiled.add(id);
    stack.push(...(sources.get(id) ?? []));
  }
  const info = infos[first]!;
  const at = hit.at;
  const value = hit.value;
  const where = info.loc ? ` at ${info.loc}` : "";
  const message =
    `non-finite forward value: ${info.op} ${info.tensor}${elementText(info.shape, at)} = ${String(value)}${where} (the first in program order); ` +
    `every readout that depends on it is NaN`;
  return { message, spoiled };
}
