#!/usr/bin/env node
// The `semic` command: runs the build (dist/, made by `npm run build`, which `npm ci` runs in a
// clone). In a clone whose sources are newer than the build, or that has none, it runs the
// TypeScript sources through tsx (a development dependency) instead, so an edit is never
// shadowed by a stale build.

import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const stamp = new URL("dist/.built", root);

/** Newest modification time of the .ts files under the source folders (0 in an installed package). */
function newestSource() {
  let newest = 0;
  for (const dir of ["ir", "compiler", "runtime"]) {
    const url = new URL(`${dir}/`, root);
    if (!existsSync(url)) continue;
    for (const f of readdirSync(url, { recursive: true })) {
      if (f.endsWith(".ts")) newest = Math.max(newest, statSync(new URL(f, url)).mtimeMs);
    }
  }
  return newest;
}

const sources = newestSource();
const built = sources === 0 || (existsSync(stamp) && statSync(stamp).mtimeMs >= sources);
let cli;
if (built) cli = new URL("dist/compiler/cli.js", root);
else {
  try {
    const { register } = await import("tsx/esm/api");
    register();
  } catch {
    console.error("semic: no build in dist/ and no tsx to run the sources: run `npm run build`");
    process.exit(2);
  }
  cli = new URL("compiler/cli.ts", root);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv);
