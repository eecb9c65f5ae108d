// The WebAssembly kernels as a file beside the module (what `semic compile` writes): Node reads it
// synchronously in createModel, a browser page fetches it with createModelAsync, and either gives
// the results of the module with inline kernels.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { build as viteBuild } from "vite";
import { afterAll, describe, expect, test } from "vitest";
import { writeFilesAtomically } from "../../compiler/cli/output.ts";
import { compileGraph, importModule, type GeneratedModel } from "../../compiler/compile.ts";
import { compile } from "../../compiler/compileModel.ts";

const tmp = mkdtempSync(join(tmpdir(), "semic-sidecar-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const raw = JSON.parse(readFileSync("examples/mlp.params.json", "utf8")) as Record<string, number[] | number[][]>;
const params = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.flat()]));
const inputs = { x: [0.5, -1.2, 0.8, 2] };
const semirings = ["sumprod", "maxprod"];

type Loaded = { createModel: (p: unknown) => GeneratedModel; createModelAsync: (p: unknown) => Promise<GeneratedModel> };

/** What a run gives, as plain numbers. */
const summary = (m: GeneratedModel) => {
  const r = m.run(inputs);
  return { output: r.output, grad: [...r.results["sumprod"]!.wrt["x"]!.value], best: r.results["maxprod"]!.topPathValue };
};

async function inline() {
  const compiled = await compile("examples/mlp.ts", { semirings });
  const { js } = compileGraph(compiled.graph, { semirings: compiled.semirings });
  expect(js.js).toContain(`code: "`);
  return summary((await importModule(js.js)).createModel(params));
}

describe("WebAssembly kernels beside the module", () => {
  test("semic compile's files: the module reads its .wasm in Node, and runs as the inline module does", async () => {
    const compiled = await compile("examples/mlp.ts", { semirings });
    expect([...compiled.files.keys()]).toEqual(["mlp.sumprod+maxprod.js", "mlp.sumprod+maxprod.d.ts", "mlp.sumprod+maxprod.wasm"]);
    const wasm = compiled.files.get("mlp.sumprod+maxprod.wasm") as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(wasm)).toBe(true);
    expect(compiled.js).toContain(`file: new URL("./mlp.sumprod+maxprod.wasm", import.meta.url)`);
    expect(compiled.js).not.toMatch(/[A-Za-z0-9+/]{2000}/); // no base64 line left
    expect(compiled.dts).toContain("export declare function createModelAsync(params: Params, options?: ModelOptions): Promise<Model>;");

    writeFilesAtomically(new Map([...compiled.files].map(([name, content]) => [join(tmp, "node", name), content])));
    const mod = (await import(pathToFileURL(join(tmp, "node", "mlp.sumprod+maxprod.js")).href)) as Loaded;
    const want = await inline();
    expect(summary(mod.createModel(params))).toEqual(want);
    expect(summary(await mod.createModelAsync(params))).toEqual(want);
    // From memory, the sources with their kernels import too; the JS alone says what is missing.
    expect(summary((await importModule(compiled)).createModel(params))).toEqual(want);
    await expect(importModule(compiled.js)).rejects.toThrow("pass its sources ({ js, wasm }), not only its JS");
  });

  test("a missing .wasm is an error naming the file, not a silent fall-back to the JS loops", async () => {
    const compiled = await compile("examples/mlp.ts", { semirings: ["sumprod"] });
    writeFilesAtomically(new Map([[join(tmp, "lost", "mlp.sumprod.js"), compiled.js]]));
    const mod = (await import(pathToFileURL(join(tmp, "lost", "mlp.sumprod.js")).href)) as Loaded;
    expect(() => mod.createModel(params)).toThrow(/^createModel\(\): cannot read the WebAssembly kernels file:\/\/.*\/lost\/mlp\.sumprod\.wasm \(ENOENT\)/);
  });

  test("a Vite library build inlines the .wasm as a data: URL, which createModel decodes", async () => {
    const compiled = await compile("examples/mlp.ts", { semirings });
    const src = join(tmp, "vite", "src");
    writeFilesAtomically(new Map([
      ...[...compiled.files].map(([name, content]) => [join(src, name), content] as const),
      [join(src, "main.js"), `import { createModel } from "./mlp.sumprod+maxprod.js";\nexport const run = (params, inputs) => createModel(params).run(inputs);\n`],
    ]));
    const outDir = join(tmp, "vite", "dist");
    await viteBuild({ root: join(tmp, "vite"), configFile: false, logLevel: "silent", build: { outDir, minify: false, lib: { entry: join(src, "main.js"), formats: ["es"], fileName: () => "main.mjs" } } });
    const bundle = readFileSync(join(outDir, "main.mjs"), "utf8");
    expect(bundle).toContain(`new URL("data:application/wasm;base64,`);
    const built = (await import(pathToFileURL(join(outDir, "main.mjs")).href)) as { run: (p: unknown, i: unknown) => ReturnType<GeneratedModel["run"]> };
    expect(built.run(params, inputs).output).toBe((await inline()).output);
  });

  const CHROMIUM = "/usr/bin/chromium";
  test.skipIf(!existsSync(CHROMIUM))("a browser page fetches the .wasm with createModelAsync (createModel alone says so)", async () => {
    const compiled = await compile("examples/mlp.ts", { semirings });
    const files = new Map<string, { type: string; body: string | Uint8Array }>([
      ["/mlp.sumprod+maxprod.js", { type: "text/javascript", body: compiled.js }],
      ["/mlp.sumprod+maxprod.wasm", { type: "application/wasm", body: compiled.files.get("mlp.sumprod+maxprod.wasm")! }],
      ["/", { type: "text/html", body: page(JSON.stringify({ params, inputs })) }],
    ]);
    const server: Server = createServer((req, res) => {
      const f = files.get(req.url ?? "");
      res.writeHead(f ? 200 : 404, { "content-type": f?.type ?? "text/plain" }).end(f?.body ?? "not found");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--no-first-run", "--disable-background-networking"] });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await tab.waitForFunction(() => "__result" in window, undefined, { timeout: 60_000 });
      const got = await tab.evaluate(() => (window as unknown as { __result: { sync: string; run?: unknown; error?: string } }).__result);
      expect(got.error).toBeUndefined();
      expect(got.sync).toMatch(/^Error: createModel\(\): the WebAssembly kernels http:.*\/mlp\.sumprod\+maxprod\.wasm are not loaded yet: create the model with await createModelAsync\(params\) here/);
      // Equal to 12 digits: the page ran the WebAssembly kernels (the JS loops differ in the last f32 bit).
      const want = await inline();
      const run = got.run as typeof want;
      expect(run.output).toBeCloseTo(want.output, 12);
      run.grad.forEach((g, i) => expect(g).toBeCloseTo(want.grad[i]!, 12));
      expect(run.best).toBeCloseTo(want.best!, 12);
    } finally {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    }
  }, 120_000);
});

const page = (feeds: string) => `<!doctype html><script type="module">
const { params, inputs } = ${feeds};
try {
  const m = await import("/mlp.sumprod+maxprod.js");
  let sync = "no error";
  try { m.createModel(params); } catch (e) { sync = String(e); }
  const r = (await m.createModelAsync(params)).run(inputs);
  window.__result = { sync, run: { output: r.output, grad: Array.from(r.results.sumprod.wrt.x.value), best: r.results.maxprod.topPathValue } };
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
</script>`;
