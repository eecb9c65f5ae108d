// What a compile and run will cost, estimated from the graph alone before anything is compiled,
// so that a model too big for this machine (or for WebAssembly) is refused in one line with the
// estimate, instead of running for minutes and dying out of memory or in an engine limit.
//
// The estimate has two parts:
// - buffers: every forward value, and every value's adjoint for each semiring (lanes × elements;
//   an upper bound, as values off every wrt path get no adjoint), at the storage precision;
// - generated code and the JS heap to build and load it: per node and semiring, a fixed part plus
//   a part quadratic in the lanes (topk's ⊗ is an unrolled k×k merge).
// Both lean high (up to ×2 on the examples): refusing a model that would just fit is better than
// running one into the OOM killer. The js target also has two WebAssembly limits: one 4 GiB memory
// for every buffer, and at most 100 000 exported kernels (V8), about one per node and pass.

import { getHeapStatistics } from "node:v8";
import { totalmem } from "node:os";
import { SemicError, type Graph } from "../ir/graph.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";
import { buildBackward, defaultWrt } from "./backward.ts";
import { sizeOf } from "../ir/types.ts";

/**
 * The largest k of the topk semiring. Its ⊗ merges two sorted k-lists and the generated code
 * unrolls that merge, so code size and compile time grow as k²: at k = 64 the 12-node MLP
 * example is already 2 MB of JS and takes seconds to compile. Paths beyond the best 64 are
 * better enumerated than carried in lanes.
 */
export const MAX_TOPK = 64;

/** Generated JS per node and semiring: a fixed part and a part per lane² (fitted to the examples). */
const CODE_PER_NODE = 4000;
const CODE_PER_LANE2 = 20;
/**
 * JS heap to generate and load that code, per node and semiring, again a fixed part and a part
 * per lane²: fitted to peak RSS of `semic compile` on BERT at 12 layers with three semirings
 * (≈ 75 KiB per node and semiring) and on topk with k = 16 and 64 (≈ 1.3–4 KiB per lane²).
 */
const HEAP_PER_NODE = 80 * 1024;
const HEAP_PER_LANE2 = 4 * 1024;
/** The JS target keeps every buffer in one 32-bit WebAssembly memory: 65536 pages of 64 KiB. */
const WASM_MAX_BYTES = 2 ** 32;
/** V8's limit on a WebAssembly module's exports; the JS target exports each kernel. */
const WASM_MAX_EXPORTS = 100_000;

export interface MemoryEstimate {
  /** Forward values (params, inputs and intermediates). */
  readonly forward: number;
  /** Adjoint buffers per semiring. */
  readonly adjoints: readonly { readonly semiring: string; readonly bytes: number }[];
  /** Generated code (bytes of JS). */
  readonly code: number;
  /** JS heap to build and load that code. */
  readonly codeHeap: number;
  /** Kernels: at most one per node for the forward pass, and per visited node for each semiring's backward pass. */
  readonly kernels: number;
  /** forward + adjoints + codeHeap. */
  readonly total: number;
}

/**
 * The estimate for `semirings` at `precision`. Adjoints, backward code and backward kernels count
 * only the values a backward pass visits: those on a path from a wrt tensor (`wrt`, default the
 * compiler's) to the output.
 */
export function estimateMemory(
  graph: Graph,
  semirings: readonly Semiring[],
  precision: "f32" | "f64",
  wrt?: readonly string[],
): MemoryEstimate {
  const word = precision === "f64" ? 8 : 4;
  const { live } = buildBackward(graph, wrt && wrt.length > 0 ? wrt : defaultWrt(graph));
  let forward = 0,
    floats = 0;
  for (const n of graph.nodes) {
    const numel = sizeOf(n.type.shape);
    forward += numel * (n.type.dtype === "i32" ? 4 : word);
    if (live.has(n.id)) floats += numel;
  }
  const adjoints = semirings.map((s) => ({ semiring: s.name, bytes: floats * s.lanes.length * word }));
  const perLive = (fixed: number, perLane2: number) =>
    live.size * semirings.reduce((sum, s) => sum + fixed + perLane2 * s.lanes.length ** 2, 0);
  const code = graph.nodes.length * CODE_PER_NODE + perLive(CODE_PER_NODE, CODE_PER_LANE2);
  const codeHeap = graph.nodes.length * HEAP_PER_NODE + perLive(HEAP_PER_NODE, HEAP_PER_LANE2);
  const total = forward + adjoints.reduce((sum, a) => sum + a.bytes, 0) + codeHeap;
  const kernels = graph.nodes.length + live.size * semirings.length;
  return { forward, adjoints, code, codeHeap, kernels, total };
}

export interface LimitOptions {
  readonly precision: "f32" | "f64";
  readonly target: "js" | "wgsl";
  /** The tensors to differentiate with respect to (default: the compiler's). */
  readonly wrt?: readonly string[];
  /** Bytes a compile and run may use (--max-memory); default: defaultMaxMemory(). */
  readonly maxMemory?: number;
}

/**
 * The most nodes any compile can take: beyond it the forward pass alone needs more heap to
 * generate than Node has, so checkLimits would refuse whatever the semirings. Lets a textual-IR
 * file be refused from its size, before parsing it.
 */
export const maxNodes = (): number => Math.floor(getHeapStatistics().heap_size_limit / HEAP_PER_NODE);

/** Half this machine's memory: the rest is for the system, Node itself and whatever else runs. */
export const defaultMaxMemory = (): number => Math.floor(totalmem() / 2);

/** Throws a one-line E_LIMIT error when the estimate is over a limit; returns the estimate otherwise. */
export function checkLimits(graph: Graph, semirings: readonly Semiring[], opts: LimitOptions): MemoryEstimate {
  const e = estimateMemory(graph, semirings, opts.precision, opts.wrt);
  const buffers = e.total - e.codeHeap;
  const parts = `buffers ${formatBytes(buffers)} (forward ${formatBytes(e.forward)}, ${e.adjoints.map((a) => `${a.semiring} adjoints ${formatBytes(a.bytes)}`).join(", ")}); generated code ≈ ${formatBytes(e.code)} of JS, ≈ ${formatBytes(e.codeHeap)} of heap to build and load`;
  const fail = (why: string): never => {
    throw new SemicError(
      "E_LIMIT",
      `model "${graph.name}" (${graph.nodes.length} nodes, ${semirings.map((s) => s.name).join(", ")}) ${why}; estimate: ${parts}`,
    );
  };
  if (opts.target === "js" && buffers > WASM_MAX_BYTES) {
    const f32 = opts.precision === "f64" ? "--precision f32, " : "";
    fail(
      `needs an estimated ${formatBytes(buffers)} of buffers, but the js target keeps them in one WebAssembly memory of at most 4 GiB (try ${f32}fewer semirings or a smaller --config)`,
    );
  }
  if (opts.target === "js" && e.kernels > WASM_MAX_EXPORTS)
    fail(
      `needs up to ${e.kernels} kernels, over WebAssembly's limit of ${WASM_MAX_EXPORTS} exports per module in V8 (fewer nodes or semirings)`,
    );
  const heap = getHeapStatistics().heap_size_limit;
  if (e.codeHeap > heap)
    fail(
      `would generate ≈ ${formatBytes(e.code)} of code, needing ≈ ${formatBytes(e.codeHeap)} of JS heap, over Node's heap limit of ${formatBytes(heap)} (fewer nodes, semirings or topk lanes; or NODE_OPTIONS=--max-old-space-size=MB)`,
    );
  const max = opts.maxMemory ?? defaultMaxMemory();
  if (e.total > max) {
    const whose = opts.maxMemory === undefined ? "half this machine's memory; raise it with --max-memory" : "--max-memory";
    fail(`needs an estimated ${formatBytes(e.total)}, over the limit of ${formatBytes(max)} (${whose})`);
  }
  return e;
}

const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

/** "8G", "512M", "2GiB", "1.5g", "1e9" (bytes) → bytes; undefined for anything else. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const scale = m[2] ? 1024 ** ("kmgt".indexOf(m[2].toLowerCase()) + 1) : 1;
  const n = Number(m[1]) * scale;
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined;
}
