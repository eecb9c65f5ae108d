// The language-service plugin through TypeScript's language service API: a DSL model with a shape
// error gets semic's error as a diagnostic at its location, from the editor's unsaved text; fixing
// the text clears it; helpers and non-DSL files get none.

import { join } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { init, SEMIC_DIAGNOSTIC } from "../../compiler/plugin/tsserver.ts";
import { ROOT } from "../cliSpawn.ts";

const dir = join(ROOT, "tests/plugin/fixtures/editor");
const model = join(dir, "model.ts");
const helper = join(dir, "layers.ts");

/** An in-memory project: the editor's texts of the files, by path, and their versions. */
function editor(files: Record<string, string>) {
  const versions = new Map(Object.keys(files).map((f) => [f, 0]));
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => Object.keys(files),
    getScriptVersion: (f) => String(versions.get(f) ?? 0),
    getScriptSnapshot: (f) => {
      const text = files[f] ?? ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => ROOT,
    getCompilationSettings: () => ({ module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, noEmit: true, strict: true }),
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f in files || ts.sys.fileExists(f),
    readFile: (f) => files[f] ?? ts.sys.readFile(f),
  };
  const languageService = ts.createLanguageService(host);
  const service = init({ typescript: ts }).create({ languageService, languageServiceHost: host } as unknown as ts.server.PluginCreateInfo);
  return {
    service,
    edit(file: string, text: string) {
      files[file] = text;
      versions.set(file, (versions.get(file) ?? 0) + 1);
    },
    semic: (file: string) => service.getSemanticDiagnostics(file).filter((d) => d.code === SEMIC_DIAGNOSTIC),
  };
}

const helperText = `import { linear, relu, type Tensor } from "semic/dsl";

export const layer = (x: Tensor, w: Tensor, b: Tensor) => relu(linear(x, w, b));
`;
/** A model whose first layer is written out and whose second comes from the helper file. */
const modelText = (b1: string, b2 = "[2]") => `import { input, linear, model, param, sum } from "semic/dsl";
import { layer } from "./layers.ts";

export default model("tiny", () => {
  const x = input("x", [3]);
  const h = linear(x, param("w1", [4, 3]), param("b1", ${b1}));
  return sum(layer(h, param("w2", [2, 4]), param("b2", ${b2})));
});
`;

/** The text a diagnostic spans. */
const spanned = (text: string, d: ts.Diagnostic | undefined) => text.slice(d?.start ?? 0, (d?.start ?? 0) + (d?.length ?? 0));
const lineOf = (text: string, d: ts.Diagnostic | undefined) => text.slice(0, d?.start ?? 0).split("\n").length;

describe("language-service plugin", () => {
  test("a shape error is a diagnostic at its location; fixing the unsaved text clears it", () => {
    const ed = editor({ [model]: modelText("[5]"), [helper]: helperText, [join(dir, "app.ts")]: "export const n: number = 1;\n" });
    const [d, ...more] = ed.semic(model);
    expect(more).toEqual([]);
    expect(d?.category).toBe(ts.DiagnosticCategory.Error);
    expect(d?.source).toBe("semic");
    expect(d?.messageText).toMatch(/^semic E_\w+: linear\(.*\): b must be \[4\] for w f32\[4,3\], got f32\[5\]$/);
    expect(lineOf(modelText("[5]"), d)).toBe(6);
    expect(spanned(modelText("[5]"), d)).toBe("linear");
    // The helper defines no model and the app is no DSL file: nothing to report.
    expect(ed.semic(helper)).toEqual([]);
    expect(ed.semic(join(dir, "app.ts"))).toEqual([]);

    ed.edit(model, modelText("[4]"));
    expect(ed.semic(model)).toEqual([]);
  });

  test("an error inside an imported helper is reported on the import, naming the helper's line", () => {
    const text = modelText("[4]", "[3]");
    const ed = editor({ [model]: text, [helper]: helperText });
    const [d] = ed.semic(model);
    expect(spanned(text, d)).toBe(`"./layers.ts"`);
    expect(d?.messageText).toMatch(/layers\.ts:3:\d+: linear\(.*\): b must be \[2\]/);
  });

  test.each([
    ["an unknown name", "layerr", /layerr/],
    ["unsupported syntax", "class", /class/i],
  ])("%s is a diagnostic at its location", (_what, word, message) => {
    const body = word === "class" ? "class C {}\n  return sum(h);" : "return sum(layerr(h, param(\"w2\", [2, 4]), param(\"b2\", [2])));";
    const text = modelText("[4]").replace(/ {2}return sum\(.*\n/, `  ${body}\n`);
    const ed = editor({ [model]: text, [helper]: helperText });
    const [d] = ed.semic(model);
    expect(d?.messageText).toMatch(message);
    expect(spanned(text, d)).toBe(word);
  });
});
