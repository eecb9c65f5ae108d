// `npm run web` (dev server) and `npm run web:build` (static site in examples/web/dist). The
// plugin is semic's bundler plugin from its sources (an installed package: from "semic/plugin");
// the worker's bundle needs it too. Import declarations go to types/ (committed: they type main.ts).

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { semicVite } from "../../compiler/plugin/unplugin.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const semic = () => semicVite({ dts: here("./types") });
// Served cross-origin isolated: the generated module gives its WebAssembly kernels a shared memory
// wherever the browser allows one, and recognises it as shared only where SharedArrayBuffer is
// visible, which a browser grants to isolated pages alone. Elsewhere the kernels fail to link and
// the module runs its (slower) JS loops. A static host of dist/ must send the same two headers.
export const isolated = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [semic()],
  worker: { format: "es", plugins: () => [semic()] },
  server: { headers: isolated },
  preview: { headers: isolated },
  build: { outDir: here("./dist"), emptyOutDir: true, target: "es2022" },
});
