// Run-time TypeScript (runtime/webgpu.ts, runtime/module/*.ts) as JavaScript text, for embedding
// into generated modules, each only the parts it uses: one type-checked, linted, unit-tested
// source, and generated modules that stay standalone (no imports), so a browser page needs only
// the one file it imports.

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
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd();
  cache.set(runtimePath, text);
  return text;
}

/**
 * A types-only run-time file as declarations for a generated .d.ts: its text after the header
 * comment, verbatim (the build copies it beside its JavaScript, as it does runtime/dsl.ts).
 */
export function declarationSource(runtimePath: string): string {
  const text = readFileSync(new URL(`../../runtime/${runtimePath}`, import.meta.url), "utf8");
  return text.replace(/^(\/\/.*\n)+\n/, "").trimEnd();
}

/** The run-time files a generated module embeds, each under a heading that names its source. */
function sections(files: readonly (readonly [string, string])[]): string {
  return files.map(([title, path]) => `// ---- ${title} (runtime/${path})\n${embeddedSource(path)}`).join("\n\n");
}

/** What a JS module's run time needs besides the memory, argument checks and result assembly. */
export interface JsRuntimeParts {
  /** WebAssembly kernels to instantiate. */
  readonly kernels: boolean;
  /** Kernels split over worker threads. */
  readonly threads: boolean;
  /** A semiring that selects paths (the top-path walk). */
  readonly paths: boolean;
}

/** The run time of a JS module: only the parts its kernels and semirings use. */
export function jsModuleRuntime(parts: JsRuntimeParts): string {
  return sections([
    ["the model object", "module/model.ts"],
    ["memory", "module/memory.ts"],
    ...(parts.kernels ? [["WebAssembly kernels", "module/kernels.ts"] as const] : []),
    ...(parts.threads ? [["worker threads", "module/threads.ts"] as const] : []),
    ...commonParts(parts.paths),
  ]);
}

/** The run time of a WebGPU module: the driver, and what it shares with the JS module's. */
export function wgslModuleRuntime(parts: { readonly paths: boolean }): string {
  return sections([["WebGPU host driver", "webgpu.ts"], ...commonParts(parts.paths)]);
}

function commonParts(paths: boolean): (readonly [string, string])[] {
  return [
    ["result assembly", "module/results.ts"],
    ...(paths ? [["top-path walk", "module/paths.ts"] as const] : []),
    ["argument checks", "module/args.ts"],
    ["non-finite forward values", "module/finite.ts"],
  ];
}
