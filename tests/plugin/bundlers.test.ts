// The bundler plugin in real builds: a Vite build and an esbuild build of a small app that imports
// examples/mlp.ts?semiring=sumprod,maxprod, run, and compared with `semic run` on the same model,
// weights and input; the declaration file it writes types the import; a model error fails the
// build with the model's file:line:col.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build as esbuild } from "esbuild";
import ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { build as viteBuild } from "vite";
import { compileImport, parseImportQuery } from "../../compiler/plugin/compileImport.ts";
import { semicEsbuild, semicVite } from "../../compiler/plugin/unplugin.ts";
import { CompileCache } from "../../compiler/study/cache.ts";
import { ROOT, spawnSemic } from "../cliSpawn.ts";

const tmp = mkdtempSync(join(tmpdir(), "semic-plugin-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cacheDir = join(tmp, "cache");
const consumer = join(ROOT, "tests/plugin/fixtures/consumer.ts");

interface Ran {
  name: string;
  output: number;
  gradient: number[];
  topPathValue: number;
}

async function runBuilt(file: string): Promise<Ran> {
  const m = (await import(pathToFileURL(file).href)) as { runMlp: () => Ran };
  return m.runMlp();
}

async function cliNumbers() {
  const r = await spawnSemic(["run", "examples/mlp.ts", "--params", "examples/mlp.params.json", "--inputs", "examples/mlp.inputs.json", "-s", "sumprod,maxprod", "--json"], ROOT);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { output: number; results: { sumprod: { wrt: { x: { value: number[] } } }; maxprod: { topPathValue?: number; topPath: { weight: number }[] } } };
}

function expectSameAsCli(ran: Ran, cli: Awaited<ReturnType<typeof cliNumbers>>) {
  expect(ran.name).toBe("mlp");
  expect(ran.output).toBeCloseTo(cli.output, 12);
  expect(ran.gradient).toHaveLength(4);
  ran.gradient.forEach((g, i) => expect(g).toBeCloseTo(cli.results.sumprod.wrt.x.value[i]!, 12));
  const product = cli.results.maxprod.topPath.reduce((p, s) => p * s.weight, 1);
  expect(ran.topPathValue).toBeCloseTo(product, 10);
}

describe("bundler plugin", () => {
  test("a Vite build of an app importing a model runs and gives the CLI's numbers", async () => {
    const outDir = join(tmp, "vite");
    const dts = join(tmp, "types");
    await viteBuild({
      root: ROOT,
      configFile: false,
      logLevel: "silent",
      plugins: [semicVite({ cacheDir, dts })],
      build: { outDir, emptyOutDir: true, minify: false, lib: { entry: consumer, formats: ["es"], fileName: "consumer" } },
    });
    expectSameAsCli(await runBuilt(join(outDir, "consumer.js")), await cliNumbers());
    // The committed copy is what types the consumer's import for tsc (npm test type-checks it).
    const declaration = readFileSync(join(dts, "mlp.sumprod+maxprod.js.d.ts"), "utf8");
    expect(declaration).toContain(`declare module "*/mlp.ts?semiring=sumprod,maxprod&target=js" {`);
    await expect(declaration).toMatchFileSnapshot("fixtures/mlp.sumprod+maxprod.js.d.ts");
  });

  test("the declaration types the import: a misspelled param or an unknown semiring is a type error", () => {
    const app = join(tmp, "types", "app.ts");
    writeFileSync(
      app,
      `import { createModel } from "./mlp.ts?semiring=sumprod,maxprod&target=js";
const m = createModel({ w1: [], b1: [], w2: [], b_2: [] });
m.run({ x: [1, 2, 3, 4] }, { semirings: ["entropy"] });
`,
    );
    const program = ts.createProgram([app, join(tmp, "types", "mlp.sumprod+maxprod.js.d.ts")], { noEmit: true, strict: true, types: [], lib: ["lib.es2022.d.ts"] });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => `${ts.getLineAndCharacterOfPosition(d.file!, d.start!).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
    expect(errors).toEqual([expect.stringMatching(/^2: .*'b_2' does not exist in type 'Params'/), expect.stringMatching(/^3: Type '"entropy"' is not assignable to type 'SemiringName'/)]);
  });

  test("an esbuild build of the same app gives the same numbers, from the cache", async () => {
    const outfile = join(tmp, "esbuild", "consumer.mjs");
    const r = await esbuild({ entryPoints: [consumer], bundle: true, format: "esm", platform: "neutral", outfile, plugins: [semicEsbuild({ cacheDir, dts: false })], logLevel: "silent" });
    expect(r.errors).toEqual([]);
    expectSameAsCli(await runBuilt(outfile), await cliNumbers());
    const again = await compileImport(join(ROOT, "examples/mlp.ts"), parseImportQuery("mlp.ts", "semiring=sumprod,maxprod&target=js"), new CompileCache(cacheDir));
    expect(again.cached).toBe(true);
    expect(again.files).toEqual([join(ROOT, "examples/mlp.ts")]);
  });

  test.each([
    ["semiring=&target=js", /semiring= names no semiring/],
    ["semiring=sumprod&hidden=3", /unknown option "hidden"; an import query takes semiring/],
    ["semiring=nosuch", /nosuch/],
    ["semiring=sumprod&target=glsl", /target=glsl: expected one of js, wgsl/],
  ])("a bad query is a one-line error naming the import: %s", async (query, message) => {
    const compile = async () => compileImport(join(ROOT, "examples/mlp.ts"), parseImportQuery("mlp.ts", query), new CompileCache(cacheDir));
    const failed = await compile().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(message);
    expect((failed as Error).message).not.toContain("\n");
  });

  test("a model error fails the build at the model's file:line:col", async () => {
    const model = join(tmp, "bad.ts");
    writeFileSync(model, readFileSync(join(ROOT, "examples/mlp.ts"), "utf8").replace('param("w2", [classes, hidden])', 'param("w2", [classes, hidden + 1])'));
    const app = join(tmp, "app.ts");
    writeFileSync(app, `import { createModel } from "./bad.ts?semiring=maxprod";\nconsole.log(createModel);\n`);
    const failed = await esbuild({ entryPoints: [app], bundle: true, write: false, format: "esm", plugins: [semicEsbuild({ cacheDir, dts: false })], logLevel: "silent" }).catch((e: { errors: { text: string; location: { file: string; line: number; column: number } | null }[] }) => e);
    expect("errors" in failed).toBe(true);
    const [err] = (failed as { errors: { text: string; location: { file: string; line: number; column: number } | null }[] }).errors;
    expect(err?.text).toMatch(/bad\.ts:10:18: linear\(.*\): w must be/);
    // esbuild shows paths relative to its working directory, and columns from 0.
    expect(resolve(err?.location?.file ?? "")).toBe(model);
    expect(err?.location).toMatchObject({ line: 10, column: 17 });
  });
});
