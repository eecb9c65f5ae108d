// The WebAssembly kernels of a JS module: compiled once per module, instantiated per model on its
// memory. Embedded as text only in modules that have such kernels (compiler/backends/embed.ts).

import type { ModuleMemory } from "./memory.ts";

/** What the generated module knows of its kernels. */
export interface WasmKernels {
  /** The WebAssembly module, base64 (a module compiled in memory). */
  readonly code?: string;
  /** Or the .wasm file beside the module (semic compile writes it), as `new URL("./x.wasm", import.meta.url)`. */
  readonly file?: URL;
  /** Where its memory import says "shared" (patched to plain where SharedArrayBuffer is missing). */
  readonly memoryFlagAt: number;
  /** Host functions the kernels import (Math.exp…, the module's erf). */
  readonly math: Readonly<Record<string, (x: number) => number>>;
}

/** A kernel over the share [lo, hi) of its outermost loop; scratch: its temporaries' address. */
export type KernelFn = (lo: number, hi: number, scratch: number) => number | undefined;

export interface Kernels {
  readonly module: WebAssembly.Module;
  /** The kernels by name, `prep` (fills the caches of values computed from params) and `all_finite`. */
  readonly exports: Readonly<Record<string, KernelFn>>;
}

// By memory kind; null once compiling failed (no SIMD, or a synchronous compile refused): the JS
// loops run instead, for every later model too.
const compiledKernels: { shared?: WebAssembly.Module | null; plain?: WebAssembly.Module | null } = {};

// Kernel files fetched by loadKernelFile, by URL: where they cannot be read synchronously.
const fetchedKernels = new Map<string, Uint8Array<ArrayBuffer>>();

interface NodeFs {
  getBuiltinModule?(id: "node:fs"): typeof import("node:fs") | undefined;
}

/** Node's fs, for reading a kernel file synchronously. */
const nodeFs = () => (globalThis as { process?: NodeFs }).process?.getBuiltinModule?.("node:fs");

/**
 * Fetches the kernel file where createModel cannot read it synchronously (a browser); a module
 * with inline kernels, or in Node, needs nothing. Errors name the file and the reason.
 */
export async function loadKernelFile(kernels: WasmKernels): Promise<void> {
  const file = kernels.file;
  if (!file || fetchedKernels.has(file.href) || file.protocol === "data:" || (file.protocol === "file:" && nodeFs())) return;
  let response: Response;
  try {
    response = await fetch(file);
  } catch (e) {
    throw new Error(`cannot fetch the WebAssembly kernels ${file.href}: ${String(e)}`);
  }
  if (!response.ok) throw new Error(`cannot fetch the WebAssembly kernels ${file.href}: ${response.status} ${response.statusText}`);
  fetchedKernels.set(file.href, new Uint8Array(await response.arrayBuffer()));
}

/** The kernels' bytes, a fresh copy (the memory flag may be patched). */
function kernelBytes(kernels: WasmKernels): Uint8Array<ArrayBuffer> {
  if (kernels.code !== undefined) return decode(kernels.code);
  const file = kernels.file!;
  const fetched = fetchedKernels.get(file.href);
  if (fetched) return fetched.slice();
  // A bundler may inline the file as a data: URL.
  if (file.protocol === "data:" && file.href.includes(";base64,")) return decode(file.href.slice(file.href.indexOf(";base64,") + 8));
  const fs = nodeFs();
  if (!fs || file.protocol !== "file:")
    throw new Error(`createModel(): the WebAssembly kernels ${file.href} are not loaded yet: create the model with await createModelAsync(params) here`);
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    const reason = (e as { code?: string }).code ?? String(e);
    throw new Error(`createModel(): cannot read the WebAssembly kernels ${file.href} (${reason}); semic compile writes them beside the module`);
  }
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** The kernels instantiated on `memory`, or null where WebAssembly SIMD is unavailable. */
export function instantiateKernels(memory: ModuleMemory, kernels: WasmKernels): Kernels | null {
  if (typeof WebAssembly === "undefined" || !(memory instanceof WebAssembly.Memory)) return null;
  // A page that is not cross-origin isolated has no SharedArrayBuffer global, yet may create a shared memory.
  const shared = !(memory.buffer instanceof ArrayBuffer);
  const key = shared ? "shared" : "plain";
  // A missing file is an error, not a reason to run the JS loops silently.
  const bytes = compiledKernels[key] === undefined ? kernelBytes(kernels) : undefined;
  try {
    if (bytes) {
      if (!shared) bytes[kernels.memoryFlagAt] = 0x01;
      compiledKernels[key] = new WebAssembly.Module(bytes);
    }
    const module = compiledKernels[key];
    if (!module) return null;
    const instance = new WebAssembly.Instance(module, { env: { memory }, math: kernels.math });
    return { module, exports: instance.exports as Record<string, KernelFn> };
  } catch {
    compiledKernels[key] = null;
    return null;
  }
}

/**
 * One cache of values computed from params alone (log|w| of a weight, say), which its prep kernel
 * fills at createModel.
 */
export interface CacheSpec {
  /** The prep kernel's export, and its outer extent. */
  readonly prep: string;
  readonly extent: number;
  /** Byte offset and length (elements) in the memory. */
  readonly at: number;
  readonly length: number;
  /**
   * What it holds, over param names and the precision: caches with equal keys, filled from the
   * same param arrays, hold equal values in any module. Null where it reads something other than
   * params (a constant): always computed.
   */
  readonly key: string | null;
  /** The params its key names, in order. */
  readonly params: readonly string[];
}

/** createModel's options.caches: filled caches by key, each with the param arrays it was computed from. */
export type WeightCaches = Map<string, { readonly sources: readonly unknown[]; readonly data: Float32Array | Float64Array }>;

/**
 * Fills every cache: copied from `store` where a module built from the same param arrays (by
 * identity) computed it already, else computed by its prep kernel and, with a store, kept there.
 * The logs of a BERT-sized model's weights take about a second in f64; the copy a fifth of that.
 */
export function fillCaches(
  K: Readonly<Record<string, KernelFn>>,
  heap: ArrayBufferLike,
  F: Float32ArrayConstructor | Float64ArrayConstructor,
  specs: readonly CacheSpec[],
  P: Readonly<Record<string, unknown>>,
  store: WeightCaches | undefined,
): void {
  for (const c of specs) {
    const view = new F(heap as ArrayBuffer, c.at, c.length);
    const sources = c.params.map((n) => P[n]);
    const hit = store && c.key !== null ? store.get(c.key) : undefined;
    if (hit && hit.data instanceof F && hit.data.length === c.length && hit.sources.length === sources.length && hit.sources.every((s, i) => s === sources[i])) {
      view.set(hit.data);
      continue;
    }
    K[c.prep]!(0, c.extent, 0);
    if (store && c.key !== null) store.set(c.key, { sources, data: view.slice() });
  }
}
