// The TypeScript language-service plugin: semic's compile errors of a DSL model (shape mismatches,
// unsupported syntax, unknown names) as editor diagnostics at their location, while the file is
// edited. tsconfig.json:
//
//   { "compilerOptions": { "plugins": [{ "name": "semic/tsserver" }] } }
//
// A DSL file is one that imports `semic/dsl`. The model is loaded from the editor's current text
// (unsaved edits included) of the file and of the files it imports, the way `semic compile` loads
// it from disk; a file that defines no model (a helper, a file of semirings) gets no diagnostic.

import { dirname, resolve } from "node:path";
import type ts from "typescript";
import { SemicError, showLoc } from "../../ir/graph.ts";
import { loadModel, type MemoryFiles } from "../frontend/index.ts";

type Ts = typeof ts;

/** The diagnostic code of semic's errors (TS's own codes stay below 20000). */
export const SEMIC_DIAGNOSTIC = 91001;

const importsDsl = (text: string) => /\bfrom\s*["']semic\/dsl["']/.test(text);

/** The texts of `file` and the files it imports by relative paths, as the program holds them. */
function modelSources(tsm: Ts, program: ts.Program, file: string): MemoryFiles {
  const files: Record<string, string> = {};
  const todo = [file];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    const text = program.getSourceFile(f)?.text;
    if (text === undefined || f in files) continue;
    files[f] = text;
    for (const { fileName } of tsm.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = resolve(dirname(f), fileName);
      const found = [target, `${target}.ts`, resolve(target, "index.ts")].find((p) => program.getSourceFile(p) !== undefined);
      if (found) todo.push(found);
    }
  }
  return files;
}

/** The module specifier of `source`'s import of `file`, if it imports it directly. */
function importOf(tsm: Ts, source: ts.SourceFile, file: string): ts.Node | undefined {
  for (const st of source.statements) {
    if (!tsm.isImportDeclaration(st) && !tsm.isExportDeclaration(st)) continue;
    const spec = st.moduleSpecifier;
    if (!spec || !tsm.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    const target = resolve(dirname(source.fileName), spec.text);
    if ([target, `${target}.ts`, resolve(target, "index.ts")].includes(file)) return spec;
  }
  return undefined;
}

/** semic's error for the model in `file`, if it has one, as a diagnostic of `source`. */
function semicDiagnostic(tsm: Ts, source: ts.SourceFile, files: MemoryFiles): ts.Diagnostic | undefined {
  try {
    loadModel(source.fileName, { fs: files });
    return undefined;
  } catch (e) {
    if (e instanceof SemicError && e.code === "E_NO_MODEL") return undefined;
    const loc = e instanceof SemicError ? e.loc : undefined;
    const here = loc && resolve(loc.file) === resolve(source.fileName) ? loc : undefined;
    let start = 0,
      length = 0;
    if (here) {
      const lines = source.getLineStarts();
      start = Math.min((lines[here.line - 1] ?? source.text.length) + here.col - 1, source.text.length);
      length = /^[\w$]+/.exec(source.text.slice(start))?.[0].length ?? 1;
    } else if (loc) {
      // An error in a file the model imports: on that import's specifier, the message says where.
      const spec = importOf(tsm, source, resolve(loc.file));
      if (spec) [start, length] = [spec.getStart(source), spec.getWidth(source)];
    }
    const message = e instanceof Error ? e.message : String(e);
    const text = here && e instanceof SemicError ? message.slice(showLoc(here).length) : message;
    const code = e instanceof Error && "code" in e && typeof e.code === "string" ? `${e.code}: ` : "";
    return { file: source, start, length, category: tsm.DiagnosticCategory.Error, code: SEMIC_DIAGNOSTIC, source: "semic", messageText: `semic ${code}${text}` };
  }
}

/**
 * Wraps a language service so that getSemanticDiagnostics of a DSL model also reports semic's
 * error. Results are kept per file until the text of a file the model reads changes.
 */
export function withSemicDiagnostics(tsm: Ts, service: ts.LanguageService): ts.LanguageService {
  const last = new Map<string, { texts: MemoryFiles; diagnostic: ts.Diagnostic | undefined }>();
  const same = (a: MemoryFiles, b: MemoryFiles) => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
  return {
    ...service,
    getSemanticDiagnostics(fileName) {
      const own = service.getSemanticDiagnostics(fileName);
      const program = service.getProgram();
      const source = program?.getSourceFile(fileName);
      if (!program || !source || source.isDeclarationFile || !importsDsl(source.text)) return own;
      const texts = modelSources(tsm, program, source.fileName);
      let entry = last.get(fileName);
      if (!entry || !same(entry.texts, texts)) {
        entry = { texts, diagnostic: semicDiagnostic(tsm, source, texts) };
        last.set(fileName, entry);
      }
      // The cached diagnostic belongs to an older SourceFile object: point it at the current one.
      return entry.diagnostic ? [...own, { ...entry.diagnostic, file: source }] : own;
    },
  };
}

/** The plugin as tsserver loads it: `init({ typescript })` → `{ create(info) }`. */
export function init(modules: { typescript: Ts }): ts.server.PluginModule {
  return { create: (info) => withSemicDiagnostics(modules.typescript, info.languageService) };
}
