#!/usr/bin/env node
// `npm run build` (also run by `npm ci`/`npm install` in a clone, as `prepare`): compiles ir/,
// compiler/ and runtime/ to dist/ (JavaScript + declarations), from scratch so that no output of
// a deleted source survives. runtime/dsl.ts is copied beside its build: the frontend resolves a
// model's DSL calls against that file; so is runtime/module/types.ts, which generated .d.ts files
// declare verbatim. The language-service plugin is also bundled as the CommonJS file tsserver
// needs (compiler/plugin/bundleTsserver.ts). dist/.built marks a finished build; bin/semic.js runs
// the sources instead of a build older than them.

import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(`${root}dist`, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", `${root}tsconfig.build.json`], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
copyFileSync(`${root}runtime/dsl.ts`, `${root}dist/runtime/dsl.ts`);
copyFileSync(`${root}runtime/module/types.ts`, `${root}dist/runtime/module/types.ts`);
const { bundleTsserverPlugin } = await import(new URL("../dist/compiler/plugin/bundleTsserver.js", import.meta.url).href);
await bundleTsserverPlugin(root);
writeFileSync(`${root}dist/.built`, "");
