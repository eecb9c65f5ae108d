// The bundler plugin (one implementation for Vite, Rollup, esbuild and webpack, through unplugin):
//
//   import { createModel } from "./mlp.ts?semiring=sumprod,maxprod&target=js";
//
// resolves to the model's generated module, compiled at build time through the compile cache of
// the CLI. The model and every file it imports are watched, so a dev server recompiles on an
// edit; a model error is reported through the bundler with its file:line:col (Vite's overlay
// reads the error's `id` and `loc`).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { createUnplugin, type UnpluginContext } from "unplugin";
import { SemicError } from "../../ir/graph.ts";
import { CompileCache, defaultCacheDir, modelFiles } from "../study/cache.ts";
import { compileImport, parseImportQuery, splitImportId } from "./compileImport.ts";
import { declarationPath, importDeclaration } from "./declarations.ts";

export interface SemicPluginOptions {
  /** The compile cache (default: the CLI's, `$XDG_CACHE_HOME/semic` or `~/.cache/semic`). */
  readonly cacheDir?: string;
  /**
   * Where each import's declaration file goes: beside the model (true, the default), in this
   * directory (a string, e.g. "src/types"), or nowhere (false).
   */
  readonly dts?: boolean | string;
}

/** Ids this plugin resolves and loads: anything with `semiring=` in its query. */
const modelImport = /\?(?:.*&)?semiring=/;

/** Writes `text` to `path` unless it is there already (a rewrite would wake file watchers). */
function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Reports `e` through the bundler, located when it has a location; rethrows semic's own bugs. */
function report(ctx: UnpluginContext, file: string, e: unknown): void {
  if (!(e instanceof Error) || !("code" in e) || typeof e.code !== "string" || !e.code.startsWith("E_")) throw e;
  const loc = e instanceof SemicError ? e.loc : undefined;
  const at = loc ? resolve(loc.file) : file;
  ctx.error({
    id: at,
    message: `semic: ${e.message}`,
    code: e.code,
    plugin: "semic",
    ...(loc ? { loc: { file: at, line: loc.line, column: loc.col - 1 } } : {}),
  });
}

export const semicPlugin = createUnplugin((options: SemicPluginOptions | undefined) => {
  const cache = new CompileCache(options?.cacheDir ?? defaultCacheDir());
  const dts = options?.dts ?? true;
  return {
    name: "semic",
    enforce: "pre",
    resolveId: {
      filter: { id: modelImport },
      handler(id, importer) {
        const split = splitImportId(id);
        if (!split) return null;
        // An absolute path that is no file is a dev server's root-relative URL (`/src/mlp.ts?…`):
        // the bundler's own resolver maps it to the file, keeping the query.
        if (isAbsolute(split.file)) return existsSync(split.file) ? id : null;
        return `${resolve(importer ? dirname(importer.replace(/\?.*$/, "")) : process.cwd(), split.file)}?${split.query}`;
      },
    },
    load: {
      filter: { id: modelImport },
      async handler(id) {
        const split = splitImportId(id);
        if (!split) return null;
        try {
          const query = parseImportQuery(split.file, split.query);
          const out = await compileImport(split.file, query, cache);
          // A dev server invalidates the module when one of these changes (Vite: also with HMR off).
          for (const f of out.files) this.addWatchFile(f);
          if (dts !== false) writeIfChanged(declarationPath(split.file, split.query, typeof dts === "string" ? resolve(dts) : undefined), importDeclaration(split.file, split.query, out.dts));
          return { code: out.js, map: null };
        } catch (e) {
          // The model's files are watched even when it does not compile, so fixing it recompiles.
          if (existsSync(split.file)) for (const f of modelFiles(split.file)) this.addWatchFile(f);
          report(this, split.file, e);
          // esbuild's adapter collects errors instead of throwing: it fails the build with them
          // once the hook returns.
          return { code: "", map: null };
        }
      },
    },
    esbuild: { loader: "js", onResolveFilter: modelImport, onLoadFilter: modelImport },
  };
});

export const semicVite = semicPlugin.vite;
export const semicRollup = semicPlugin.rollup;
export const semicEsbuild = semicPlugin.esbuild;
export const semicWebpack = semicPlugin.webpack;
