// The one memory of a JS module: every buffer lives in it at a fixed offset, shared with the
// WebAssembly kernels. Embedded as text in every JS module (compiler/backends/embed.ts).

/** What the module's buffers are views of: a WebAssembly.Memory, or plain bytes without WebAssembly. */
export type ModuleMemory = WebAssembly.Memory | { readonly buffer: ArrayBuffer };

/** Shared (so kernels can run on worker threads) where SharedArrayBuffer exists, else plain. */
export function newMemory(pages: number): ModuleMemory {
  if (typeof WebAssembly === "undefined") return { buffer: new ArrayBuffer(pages * 65536) };
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return new WebAssembly.Memory({ initial: pages, maximum: pages });
  }
}
