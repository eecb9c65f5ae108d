// The host driver (runtime/webgpu.ts) as JavaScript text, for embedding into generated modules:
// one TypeScript source, type-checked, that a browser page gets inside the one file it imports.

import { existsSync, readFileSync } from "node:fs";
import { ts } from "ts-morph";

let cached: string | undefined;

export function driverSource(): string {
  if (cached !== undefined) return cached;
  // The source in a clone; its build (same emitter, same text) in an installed package.
  const source = new URL("../../../runtime/webgpu.ts", import.meta.url);
  const file = existsSync(source) ? source : new URL("../../../runtime/webgpu.js", import.meta.url);
  const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false },
  });
  // Embedded, nothing is exported except what the generated module exports itself.
  cached = outputText
    .replace(/^export \{\s*\};?\s*$/gm, "")
    .replace(/^export (?=(async )?function |const |let |class )/gm, "")
    .trimEnd();
  return cached;
}
