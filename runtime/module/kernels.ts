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
