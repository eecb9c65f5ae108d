// Where the model runs: WebGPU when the browser gives an adapter, else the WebAssembly module in
// a worker. `?backend=wasm` or `?backend=webgpu` forces one (webgpu fails without an adapter).

import { explainWithWebGpu, type Explanation } from "./explain.ts";

export interface Backend {
  readonly name: "webgpu" | "wasm";
  /** What the page says it runs on. */
  readonly label: string;
  explain(ids: number[]): Promise<Explanation>;
}

function wasmBackend(): Backend {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, { ok: (e: Explanation) => void; fail: (e: Error) => void }>();
  let next = 0;
  worker.addEventListener("message", (e: MessageEvent<{ id: number; explanation?: Explanation; error?: string }>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    if (e.data.explanation) p?.ok(e.data.explanation);
    else p?.fail(new Error(e.data.error ?? "the worker sent no result"));
  });
  worker.addEventListener("error", (e) => {
    for (const p of pending.values()) p.fail(new Error(`worker: ${e.message}`));
    pending.clear();
  });
  return {
    name: "wasm",
    label: "WebAssembly (JS module in a Web Worker)",
    explain: (ids) =>
      new Promise((ok, fail) => {
        pending.set(next, { ok, fail });
        worker.postMessage({ id: next++, ids });
      }),
  };
}

async function webGpuBackend(): Promise<Backend | undefined> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return undefined;
  const device = await adapter.requestDevice();
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture, info?.description].filter((s) => s).join(" ");
  return { name: "webgpu", label: `WebGPU${name ? ` (${name})` : ""}`, explain: (ids) => explainWithWebGpu(device, ids) };
}

/** The backend `wanted` names ("auto": WebGPU if there is an adapter). */
export async function chooseBackend(wanted: string): Promise<Backend> {
  if (wanted === "wasm") return wasmBackend();
  if (wanted === "webgpu") {
    const gpu = await webGpuBackend();
    if (!gpu) throw new Error("backend=webgpu: this browser gives no WebGPU adapter (navigator.gpu.requestAdapter() returned nothing)");
    return gpu;
  }
  // auto: an adapter that gives no device (a blocklisted driver, a lost GPU) is no adapter.
  return (await webGpuBackend().catch(() => undefined)) ?? wasmBackend();
}
