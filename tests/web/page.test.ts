// The example page (examples/web) in headless Chromium: its Vite build, served from localhost,
// loads with no console error, explains the default tokens and then tokens typed into the page,
// and its numbers (output, per-token branch bars, top path) equal `semic run … --json` on the same
// input: on the WebAssembly module (in a worker) to f64 precision, and on WebGPU (SwiftShader,
// Chromium's CPU Vulkan driver) to f32 precision; the page picks WebGPU when it has an adapter, else
// WebAssembly.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser, type Page, type Worker } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BRANCHES, SEMIRINGS, type Explanation } from "../../examples/web/explain.ts";
import { fmt } from "../../examples/web/render.ts";
import { isolated } from "../../examples/web/vite.config.ts";
import { ROOT, spawnSemic } from "../cliSpawn.ts";

const CHROMIUM = "/usr/bin/chromium";
// As tests/wgsl/browser.test.ts launches it.
const FLAGS = [
  "--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan,WebGPUService", "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader", "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--enable-dawn-features=disable_workgroup_init",
];
const DEFAULT_IDS = [3, 7, 0, 9, 3, 5]; // examples/transformer.inputs.json, the page's default
const TYPED_IDS = [5, 1, 4, 5, 2, 0];
const MIME: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

/**
 * Prepended to the worker's script as served: counts the WebAssembly instances the worker creates
 * and the errors they raise, since the generated module falls back to its JS loops silently when
 * its kernels fail to compile or link (same numbers: only this tells the two apart).
 */
const WASM_PROBE = `{
  const probe = (self.__semicWasm = { instances: 0, errors: [] });
  const Instance = WebAssembly.Instance, instantiate = WebAssembly.instantiate;
  WebAssembly.Instance = function (...args) {
    try { const i = new Instance(...args); probe.instances++; return i; } catch (e) { probe.errors.push(String(e)); throw e; }
  };
  WebAssembly.instantiate = (...args) => instantiate(...args).then(
    (r) => (probe.instances++, r), (e) => { probe.errors.push(String(e)); throw e; });
}
`;

const hasBrowser = existsSync(CHROMIUM) && !process.env["SEMIC_NO_WEBGPU"];
if (!hasBrowser && process.env["CI"]) describe("Chromium", () => test("is installed on CI", () => { throw new Error(`no ${CHROMIUM}`); }));

interface CliJson {
  output: number;
  results: Record<string, { aggregated: Record<string, { value: (number | string)[] }>; topPath?: Explanation["topPath"] }>;
}

/** `semic run` on the transformer for `ids`, per token as the page reads it. */
async function cli(dir: string, ids: number[]): Promise<CliJson> {
  const inputs = join(dir, `inputs-${ids.join("")}.json`);
  writeFileSync(inputs, JSON.stringify({ ids }));
  const r = await spawnSemic(
    ["run", "examples/transformer.ts", "--params", "examples/transformer.params.json", "--inputs", inputs, "-s", SEMIRINGS.join(","), "--wrt", "embeddings",
      ...BRANCHES.flatMap((b) => ["--aggregate", `${b}:1`]), "--json"],
    ROOT,
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CliJson;
}

/** The page's explanation equals the CLI's: to `digits` decimals (f64), or to a relative `tol` (f32). */
function expectSame(x: Explanation, want: CliJson, tol: number) {
  const close = (got: number, exp: number, scale: number, what: string) => {
    if (!Number.isFinite(exp)) return expect(got, what).toBe(exp);
    expect(Math.abs(got - exp), `${what}: ${got} vs ${exp}`).toBeLessThanOrEqual(tol * (Math.abs(exp) + scale));
  };
  close(x.output, want.output, 0, "output");
  for (const s of SEMIRINGS) {
    const rows = BRANCHES.map((b) => want.results[s]!.aggregated[b]!.value.map(Number));
    const scale = Math.max(...rows.flat().filter(Number.isFinite).map(Math.abs));
    BRANCHES.forEach((b, i) => {
      expect(x.bars[s][b]).toHaveLength(rows[i]!.length);
      rows[i]!.forEach((v, t) => close(x.bars[s][b][t]!, v, scale * 1e-3, `${s} ${b}[${t}]`));
    });
  }
  const path = want.results["maxprod"]!.topPath!;
  expect(x.topPath.map(({ op, tensor, index }) => ({ op, tensor, index }))).toEqual(path.map(({ op, tensor, index }) => ({ op, tensor, index })));
  path.forEach((step, i) => close(x.topPath[i]!.weight, step.weight, 0, `top path step ${i}`));
}

describe.skipIf(!hasBrowser)(hasBrowser ? "the example page in Chromium" : `the example page in Chromium (skipped: no ${CHROMIUM})`, () => {
  const tmp = mkdtempSync(join(tmpdir(), "semic-web-"));
  const dist = join(tmp, "dist");
  let server: Server, browser: Browser, url: string;
  let want: Promise<Record<string, CliJson>>;

  beforeAll(async () => {
    want = Promise.all([cli(tmp, DEFAULT_IDS), cli(tmp, TYPED_IDS)]).then(([a, b]) => ({ [DEFAULT_IDS.join()]: a, [TYPED_IDS.join()]: b }));
    await build({ configFile: join(ROOT, "examples/web/vite.config.ts"), logLevel: "silent", build: { outDir: dist } });
    server = createServer((req, res) => {
      const path = normalize(join(dist, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
      const file = path.endsWith("/") ? join(path, "index.html") : path;
      if (!file.startsWith(dist) || !existsSync(file)) return void res.writeHead(404).end("not found");
      const body = /\/assets\/worker-[\w-]+\.js$/.test(file) ? WASM_PROBE + readFileSync(file, "utf8") : readFileSync(file);
      res.writeHead(200, { ...isolated, "content-type": MIME[extname(file)] ?? "application/octet-stream" }).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Opens the page, collecting console errors and uncaught exceptions. */
  async function open(query: string, on: Browser = browser): Promise<{ tab: Page; errors: string[]; workers: Worker[] }> {
    const tab = await on.newPage();
    const errors: string[] = [];
    const workers: Worker[] = [];
    tab.on("worker", (w) => workers.push(w));
    tab.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.goto(url + query);
    // Served as the Vite config serves it (see its note on SharedArrayBuffer).
    expect(await tab.evaluate(() => crossOriginIsolated)).toBe(true);
    return { tab, errors, workers };
  }

  /** The numbers came from the worker's WebAssembly kernels, not from the module's JS fallback. */
  async function expectWasmKernels(workers: Worker[]): Promise<void> {
    expect(workers).toHaveLength(1);
    expect(await workers[0]!.evaluate(() => (self as unknown as { __semicWasm: unknown }).__semicWasm)).toEqual({ instances: 1, errors: [] });
  }

  /** Waits for the explanation of `ids`; the page's status line if it failed instead. */
  async function explained(tab: Page, ids: number[]): Promise<Explanation & { backend: string }> {
    await tab.waitForFunction(
      (want) => document.body.dataset["state"] === "error" || (document.body.dataset["state"] === "done" && window.semicExplanation?.ids.join() === want),
      ids.join(),
      { timeout: 90_000 },
    );
    expect(await tab.evaluate(() => document.body.dataset["state"]), await tab.textContent("#status") ?? "").toBe("done");
    const x = (await tab.evaluate(() => window.semicExplanation))!;
    // What the page shows is what it computed.
    expect(await tab.textContent("#output")).toContain(`= ${fmt(x.output)} `);
    expect(await tab.locator("#bars svg").count()).toBe(SEMIRINGS.length);
    expect(await tab.locator("ol.path li").count()).toBe(x.topPath.length);
    return x;
  }

  test("WebAssembly (worker): the default tokens and typed tokens give the CLI's numbers", async () => {
    const { tab, errors, workers } = await open("?backend=wasm");
    const first = await explained(tab, DEFAULT_IDS);
    expect(first.backend).toBe("wasm");
    await expectWasmKernels(workers);
    expect(await tab.textContent("#status")).toMatch(/^WebAssembly \(JS module in a Web Worker\): \d+ ms$/);
    expectSame(first, (await want)[DEFAULT_IDS.join()]!, 1e-9);

    await tab.fill("input[name=ids]", TYPED_IDS.join(" "));
    await tab.click("button[type=submit]");
    expectSame(await explained(tab, TYPED_IDS), (await want)[TYPED_IDS.join()]!, 1e-9);

    // A bad token is the page's one-line message, not an exception.
    await tab.fill("input[name=ids]", "3 7 0 9 3 12");
    await tab.click("button[type=submit]");
    await tab.waitForFunction(() => document.body.dataset["state"] === "error");
    expect(await tab.textContent("#status")).toBe('token 6 "12": expected an integer from 0 to 11');
    expect(errors).toEqual([]);
  }, 120_000);

  test("WebGPU (picked when the browser has an adapter) gives the CLI's numbers to f32 precision", async () => {
    const { tab, errors } = await open("");
    const x = await explained(tab, DEFAULT_IDS);
    expect(x.backend).toBe("webgpu");
    expect(await tab.textContent("#status")).toMatch(/^WebGPU.*: \d+ ms$/);
    expectSame(x, (await want)[DEFAULT_IDS.join()]!, 1e-4);
    expect(errors).toEqual([]);
  }, 120_000);

  test("a browser without WebGPU runs the WebAssembly module by itself", async () => {
    // Chromium on Linux gives no adapter unless told to (the flags above).
    const plain = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const { tab, errors, workers } = await open("", plain);
      const x = await explained(tab, DEFAULT_IDS);
      expect(x.backend).toBe("wasm");
      await expectWasmKernels(workers);
      expectSame(x, (await want)[DEFAULT_IDS.join()]!, 1e-9);
      expect(errors).toEqual([]);
    } finally {
      await plain.close();
    }
  }, 120_000);
});

