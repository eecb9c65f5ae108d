// The language-service plugin as tsserver can load it. tsserver `require()`s a plugin and calls
// its factory synchronously, and Node 20 cannot `require()` an ES module, so the build bundles
// tsserver.ts and the frontend it uses into one CommonJS file (run by `npm run build`, bin/build.js;
// esbuild is a build-time tool, a dev dependency). `tsserver/index.js` at the package root is the
// entry tsserver resolves for `{ "name": "semic/tsserver" }`: it exports this bundle's `init`.
//
// The bundle stays at the depth of the sources it replaces (dist/compiler/plugin/), so that their
// `new URL("../../runtime/dsl.ts", import.meta.url)` finds dist/runtime/dsl.ts; ts-morph (CommonJS)
// and typescript stay outside, loaded from the user's node_modules.

import { join } from "node:path";
import { build } from "esbuild";

/** Where the bundle goes, relative to the package root. */
export const TSSERVER_BUNDLE = "dist/compiler/plugin/tsserver.cjs";

/** Bundles `<root>/compiler/plugin/tsserver.ts` into `<out>/dist/compiler/plugin/tsserver.cjs`. */
export async function bundleTsserverPlugin(root: string, out: string = root): Promise<string> {
  const outfile = join(out, TSSERVER_BUNDLE);
  await build({
    entryPoints: [join(root, "compiler/plugin/tsserver.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["ts-morph", "typescript"],
    // CommonJS has no import.meta: each bundled module's import.meta.url becomes the bundle's URL.
    define: { "import.meta.url": "__semicBundleUrl" },
    banner: { js: `"use strict";\nconst __semicBundleUrl = require("node:url").pathToFileURL(__filename).href;` },
    logLevel: "warning",
  });
  return outfile;
}
