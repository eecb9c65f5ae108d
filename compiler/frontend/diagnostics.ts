// TypeScript's own diagnostics for DSL files, before anything is evaluated: a file TypeScript
// cannot parse must not compile, because the parser recovers (`input("x", [4];` still yields a
// call) and the evaluator would happily lower its guess of what was meant.
//
// Which diagnostics are errors:
// - every syntactic one, in the entry file and in every DSL file it imports (the recovered tree
//   is a guess);
// - the semantic ones that say an import does not resolve (a module that cannot be found, a name
//   semic/dsl or a DSL file does not export): tsc rejects them, and the evaluator would otherwise
//   report them only at first use, or never for an unused import.
// Other semantic diagnostics are not errors: projects load no lib files (project.ts), so the
// checker reports every global (`Math`, `Array`, `Infinity`) as missing, and what remains (argument
// types, arity, unknown names) the evaluator checks with values in hand and a better message.

import { ts, type SourceFile } from "ts-morph";
import { SemicError } from "../../ir/graph.ts";
import { isDslFile, type DslProject } from "./project.ts";

/** Semantic diagnostics that mean an import does not resolve (see above). */
const importCodes = new Set([
  2305, // Module '…' has no exported member '…'.
  2307, // Cannot find module '…' or its corresponding type declarations.
  2614, // Module '…' has no exported member '…'. Did you mean to use 'import … from'?
  2724, // '…' has no exported member named '…'. Did you mean '…'?
]);

/** Throws a located E_SYNTAX (or E_IMPORT) error for the first diagnostic of `sf` that is an error. */
function checkFile(dp: DslProject, program: ts.Program, sf: SourceFile): void {
  const node = sf.compilerNode;
  const syntax = program.getSyntacticDiagnostics(node);
  const found =
    syntax.length > 0
      ? { d: syntax[0]!, code: "E_SYNTAX" }
      : { d: program.getSemanticDiagnostics(node).find((d) => importCodes.has(d.code)), code: "E_IMPORT" };
  if (!found.d) return;
  const { line, character } = node.getLineAndCharacterOfPosition(found.d.start ?? 0);
  const message = ts.flattenDiagnosticMessageText(found.d.messageText, " ");
  throw new SemicError(found.code, `${message.replace(/\.$/, "")} (TypeScript TS${found.d.code})`, {
    file: dp.display(sf),
    line: line + 1,
    col: character + 1,
  });
}

/**
 * Checks the entry, then the DSL files it reaches through import and export declarations. Each file
 * is checked before its imports are followed: a file that does not parse may have import
 * declarations without a module name.
 */
export function checkDiagnostics(dp: DslProject): void {
  const program = dp.project.getProgram().compilerObject;
  const seen = new Set<SourceFile>([dp.entry]);
  const todo = [dp.entry];
  for (let sf = todo.shift(); sf; sf = todo.shift()) {
    checkFile(dp, program, sf);
    for (const decl of [...sf.getImportDeclarations(), ...sf.getExportDeclarations()]) {
      const target = decl.getModuleSpecifierSourceFile();
      if (!target || isDslFile(target) || seen.has(target)) continue;
      seen.add(target);
      todo.push(target);
    }
  }
}
