// The compile cache: generated modules on disk, addressed by a hash of everything that decides
// their text (the model's source and every file it imports, config, semirings, options, target,
// and semic itself), so a later run skips the frontend and the compiler, and a changed model or a
// changed semic misses instead of reusing stale code. Entries are written atomically (temporary
// file, then rename), so concurrent workers and an interrupted run never leave a torn entry.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../cli/load.ts";

/** `$XDG_CACHE_HOME/semic`, else `~/.cache/semic`. */
export function defaultCacheDir(): string {
  const xdg = process.env["XDG_CACHE_HOME"];
  return join(xdg && xdg !== "" ? xdg : join(homedir(), ".cache"), "semic");
}

const sha256 = (text: string | Uint8Array) => createHash("sha256").update(text).digest("hex");

/** The code that runs: the repository's sources in a clone, or dist/ in a build or an installed package. */
const CODE = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The folder holding semic's package.json: CODE itself, or the one above dist/. */
function packageRoot(): string {
  for (let dir = CODE; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`semic's package.json is not found above ${CODE}`);
  }
}

let semicHash: string | undefined;

/**
 * A hash of semic's own code (ir/, compiler/, runtime/: the sources, or their build) and its
 * version: generated code depends on all of them, and a local edit changes the code without
 * changing the version.
 */
export function semicSourceHash(): string {
  if (semicHash) return semicHash;
  const h = createHash("sha256");
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string };
  h.update(`semic ${pkg.version ?? "?"}\n`);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts") || name.endsWith(".js")) h.update(`${relative(CODE, p)}\n`).update(readFileSync(p));
    }
  };
  for (const dir of ["ir", "compiler", "runtime"]) walk(join(CODE, dir));
  semicHash = h.digest("hex");
  return semicHash;
}

// Relative module specifiers of static imports, re-exports and dynamic imports.
const importPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const tries = extname(base) ? [base] : [`${base}.ts`, join(base, "index.ts")];
  if (extname(base) === ".js") tries.push(base.replace(/\.js$/, ".ts"));
  return tries.find((p) => existsSync(p) && statSync(p).isFile());
}

/**
 * The files a model reads: the model file and, for a DSL model, every file it imports by a
 * relative path, recursively (semic's own `semic/dsl` is covered by semicSourceHash). Sorted.
 */
export function modelFiles(file: string): string[] {
  const seen = new Set<string>();
  const visit = (f: string) => {
    const abs = resolve(f);
    if (seen.has(abs)) return;
    seen.add(abs);
    if (extname(abs) !== ".ts") return;
    for (const m of readFileSync(abs, "utf8").matchAll(importPattern)) {
      const dep = resolveImport(abs, m[1]!);
      if (dep) visit(dep);
    }
  };
  visit(file);
  return [...seen].sort();
}

/** A hash of the model's files (contents, and names relative to the model) plus `parts`. */
export function contentKey(files: readonly string[], parts: unknown): string {
  const h = createHash("sha256");
  h.update(semicSourceHash());
  const base = dirname(files[0] ?? ".");
  for (const f of files) h.update(`\n${relative(base, f)}\n`).update(readFileSync(f));
  h.update(`\n${JSON.stringify(parts)}`);
  return h.digest("hex");
}

/** A directory of content-addressed entries: `<dir>/<kk>/<key>.<ext>`. */
export class CompileCache {
  constructor(readonly dir: string) {}

  #path(key: string, ext: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.${ext}`);
  }

  read(key: string, ext: string): string | undefined {
    try {
      return readFileSync(this.#path(key, ext), "utf8");
    } catch {
      return undefined;
    }
  }

  /** The entry's path on disk (for importing a cached module by URL). */
  pathOf(key: string, ext: string): string {
    return this.#path(key, ext);
  }

  write(key: string, ext: string, text: string): void {
    const path = this.#path(key, ext);
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new CliError(`compile cache ${this.dir}: cannot write ${err.path ?? path} (${err.code ?? err.message}); choose another with --cache-dir`);
    }
  }
}

export { sha256 };
