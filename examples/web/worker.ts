// Runs the JS module off the page's main thread: its WebAssembly kernels are compiled with the
// synchronous WebAssembly.Module, which a browser's main thread refuses for large modules (the
// generated code then falls back to its JS loops; a worker may compile any size).

import { explainWithJs } from "./explain.ts";

addEventListener("message", (e: MessageEvent<{ id: number; ids: number[] }>) => {
  const { id, ids } = e.data;
  explainWithJs(ids).then(
    (explanation) => postMessage({ id, explanation }),
    (err: unknown) => postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
  );
});
