// The entry of a study pool worker thread. Worker threads do not inherit the TypeScript loader the
// main thread registered (bin/semic.js), and a loader given by --import covers the worker's first
// module but not its dynamic imports (the frontend is imported lazily), so each worker registers
// tsx itself before loading the TypeScript worker.
import { register } from "tsx/esm/api";

register();
const worker = await import("./poolWorker.ts");
export default worker.default;
