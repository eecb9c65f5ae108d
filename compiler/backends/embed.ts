// Run-time TypeScript (runtime/webgpu.ts, runtime/module/*.ts) as JavaScript text, for embedding
// into generated modules: one type-checked, linted, unit-tested source, and generated modules that
// stay standalone (no imports), so a browser page needs only the one file it imports.

import { existsSync, readFileSync } from "node:fs";
import { ts } from "ts-morph";

const cache = new Map<string, string>();

/** `runtimePath` is relative to the repository's runtime/ folder, e.g. "module/args.ts". */
export function embeddedSource(runtimePath: string): string {
  const hit = cache.get(runtimePath);
  if (hit !== undefined) return hit;
  // The source in a clone; its build (same emitter, same text) in an installed package.
  const source = new URL(`../../runtime/${runtimePath}`, import.meta.url);
  const file = existsSync(source) ? source : new URL(`../../runtime/${runtimePath.replace(/\.ts$/, ".js")}`, import.meta.url);
  const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false },
  });
  // Embedded, nothing is exported except what the generated module exports itself, and imports of
  // other run-time files are dropped: the generated module embeds those files too.
  const text = outputText
    .replace(/^import .*;\s*$/gm, "")
    .replace(/^export \{\s*\};?\s*$/gm, "")
    .replace(/^export (?=(async )?function |const |let |class )/gm, "")
    .trimEnd();
  cache.set(runtimePath, text);
  return text;
}

/** The argument checks and the non-finite scan every generated module carries. */
export function moduleRuntimeSource(): string {
  return [
    `// ---- argument checks (runtime/module/args.ts)`,
    embeddedSource("module/args.ts"),
    ``,
    `// ---- non-finite forward values (runtime/module/finite.ts)`,
    embeddedSource("module/finite.ts"),
  ].join("\n");
}
