// The ts-morph Project that reads DSL files. The frontend needs module resolution and symbol
// lookup (which declaration a call resolves to), never full type checking, so projects load no
// lib files: that keeps creation cheap. One on-disk project is reused across loads; tests get a
// fresh in-memory project per call.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Project, ts, type Node, type SourceFile } from "ts-morph";
import type { SourceLoc } from "../../ir/graph.ts";
import { SemicError } from "../../ir/graph.ts";

/** The absolute path of runtime/dsl.ts: a call is a DSL op iff it resolves to a declaration here. */
export const dslPath = path.resolve(fileURLToPath(new URL("../../runtime/dsl.ts", import.meta.url)));

/** Source files by path, for tests: paths are absolute or relative to "/". */
export type MemoryFiles = Readonly<Record<string, string>>;

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  noEmit: true,
  noLib: true,
  types: [],
  skipLibCheck: true,
  strict: true,
  paths: { "semic/dsl": [dslPath] },
};

/** A project plus how its files are shown in messages. */
export interface DslProject {
  readonly project: Project;
  /** The entry file. */
  readonly entry: SourceFile;
  display(file: SourceFile): string;
}

let diskProject: Project | undefined;
let dslText: string | undefined;

function openDisk(file: string): DslProject {
  const abs = path.resolve(file);
  if (!diskProject) {
    diskProject = new Project({ compilerOptions, skipAddingFilesFromTsConfig: true, skipLoadingLibFiles: true });
  } else {
    // Files may have changed on disk since the last load.
    for (const sf of diskProject.getSourceFiles()) if (sf.getFilePath() !== dslPath) sf.refreshFromFileSystemSync();
  }
  const project = diskProject;
  let entry = project.getSourceFile(abs);
  if (!entry) {
    try {
      entry = project.addSourceFileAtPath(abs);
    } catch {
      throw new SemicError("E_IO", `cannot read model file ${file}`);
    }
  }
  // Adds the files the entry imports to the project, so that the next load refreshes them too.
  project.resolveSourceFileDependencies();
  const cwd = process.cwd();
  return {
    project,
    entry,
    display(sf) {
      const rel = path.relative(cwd, sf.getFilePath());
      return rel.startsWith("..") || path.isAbsolute(rel) ? sf.getFilePath() : rel;
    },
  };
}

function openMemory(file: string, files: MemoryFiles): DslProject {
  const project = new Project({ compilerOptions, useInMemoryFileSystem: true, skipLoadingLibFiles: true });
  dslText ??= readFileSync(dslPath, "utf8");
  project.createSourceFile(dslPath, dslText);
  const shown = new Map<string, string>();
  const absOf = (p: string) => path.posix.resolve("/", p);
  for (const [p, text] of Object.entries(files)) {
    const sf = project.createSourceFile(absOf(p), text, { overwrite: true });
    shown.set(sf.getFilePath(), p);
  }
  const entry = project.getSourceFile(absOf(file));
  if (!entry) throw new SemicError("E_IO", `no file ${file} among the in-memory files`);
  return { project, entry, display: (sf) => shown.get(sf.getFilePath()) ?? sf.getFilePath() };
}

/** Opens `file` from disk, or from `files` when given (tests). */
export function openProject(file: string, files?: MemoryFiles): DslProject {
  return files ? openMemory(file, files) : openDisk(file);
}

/** The location of a node, 1-based, in `file:line:col` form once shown. */
export function locOf(dp: DslProject, node: Node): SourceLoc {
  const sf = node.getSourceFile();
  const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
  return { file: dp.display(sf), line, col: column };
}

/** The DSL function a callee resolves to (through imports and aliases), if it is declared in runtime/dsl.ts. */
export function dslNameOf(callee: Node): string | undefined {
  let symbol = callee.getSymbol();
  if (!symbol) return undefined;
  if (symbol.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
  const fromDsl = symbol.getDeclarations().some((d) => d.getSourceFile().getFilePath() === dslPath);
  return fromDsl ? symbol.getName() : undefined;
}

/** Whether a module specifier's resolved file is runtime/dsl.ts. */
export const isDslFile = (sf: SourceFile | undefined): boolean => sf?.getFilePath() === dslPath;
