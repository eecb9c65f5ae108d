// The bundler plugin in a Vite dev server (in-process, no browser): an edit to the model, or to a
// file it imports, invalidates the compiled module and the next request recompiles it; a model
// error reaches Vite with the `id` and `loc` its error overlay shows.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createServer, type ViteDevServer } from "vite";
import { semicVite } from "../../compiler/plugin/unplugin.ts";

const tmp = mkdtempSync(join(tmpdir(), "semic-dev-"));
const model = join(tmp, "model.ts");
const sizes = join(tmp, "sizes.ts");
const url = "/model.ts?semiring=sumprod";

const modelSource = (w1: string) => `import { input, linear, model, param, sum } from "semic/dsl";
import { HIDDEN } from "./sizes.ts";

export default model("tiny", () => {
  const x = input("x", [3]);
  return sum(linear(x, param("w1", ${w1}), param("b1", [HIDDEN])));
});
`;

let server: ViteDevServer;
beforeAll(async () => {
  writeFileSync(sizes, "export const HIDDEN = 4;\n");
  writeFileSync(model, modelSource("[HIDDEN, 3]"));
  server = await createServer({
    root: tmp,
    configFile: false,
    logLevel: "silent",
    plugins: [semicVite({ cacheDir: join(tmp, "cache"), dts: false })],
    server: { middlewareMode: true, hmr: false },
    optimizeDeps: { noDiscovery: true },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The shape of w1 the served module declares in its meta. */
async function servedW1(): Promise<string> {
  const r = await server.transformRequest(url);
  const m = /"name":\s*"w1",\s*"shape":\s*\[(\d+),\s*(\d+)\]/.exec(r?.code ?? "");
  return m ? `${m[1]},${m[2]}` : "none";
}

/** Edits `file` and waits until the dev server has invalidated the compiled module. */
async function edit(file: string, text: string): Promise<void> {
  const changed = new Promise<void>((done) => {
    const onChange = (path: string) => {
      if (path !== file) return;
      server.watcher.off("change", onChange);
      done();
    };
    server.watcher.on("change", onChange);
  });
  writeFileSync(file, text);
  // A saturated machine can drop a file-system event: after a while, deliver the change the way the
  // watcher would, so the test checks the plugin's invalidation rather than the OS's notification.
  const late = setTimeout(() => server.watcher.emit("change", file), 10_000);
  await changed;
  clearTimeout(late);
  await vi.waitFor(async () => expect((await server.moduleGraph.getModuleByUrl(url))?.transformResult ?? null).toBeNull(), { timeout: 30_000, interval: 50 });
}

describe("bundler plugin in a Vite dev server", () => {
  test("an edit to the model recompiles it", async () => {
    expect(await servedW1()).toBe("4,3");
    const mod = await server.moduleGraph.getModuleByUrl(url);
    expect(mod?.file).toBe(model);
    expect(mod?.transformResult).not.toBeNull();
    await edit(model, modelSource("[HIDDEN, 3]").replace('input("x", [3])', 'input("x", [5])').replace("[HIDDEN, 3]", "[HIDDEN, 5]"));
    expect(await servedW1()).toBe("4,5");
  });

  test("an edit to a file the model imports recompiles it", async () => {
    await edit(sizes, "export const HIDDEN = 6;\n");
    expect(await servedW1()).toBe("6,5");
  });

  test("a model error reaches Vite with the id and loc of its overlay", async () => {
    await edit(model, readFileSync(model, "utf8").replace('param("b1", [HIDDEN])', 'param("b1", [HIDDEN + 1])'));
    const err = (await server.transformRequest(url).catch((e: unknown) => e)) as { id?: string; loc?: { file: string; line: number; column: number }; message: string };
    expect(err.message).toMatch(/model\.ts:6:14: linear\(.*\): b must be \[6\] for w f32\[6,5\], got f32\[7\]/);
    expect(err.id).toBe(model);
    // Rollup's loc, which Vite's overlay reads, counts columns from 0.
    expect(err.loc).toEqual({ file: model, line: 6, column: 13 });
  });
});
