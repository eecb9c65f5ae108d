// The generated WGSL modules in a real browser: headless Chromium (WebGPU on SwiftShader, see
// shared WEBGPU.md) imports each module from a page served on localhost, runs it, and hands the
// results back; they must equal the JS module's, as in Node. One page load runs every case.

import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileGraphWgsl } from "../../compiler/compile.ts";
import type { Graph } from "../../ir/graph.ts";
import { semirings, topk } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { splitFeeds } from "../oracle/check.ts";
import { named, probed } from "../oracle/opCases.ts";
import { randomFeed } from "../oracle/random.ts";
import { allSemirings, expectSameResults, runJs, wrtOf, type RunOptions, type RunResult } from "./compare.ts";
import { NO_ADAPTER } from "./device.ts";
import { largeGraphs, smallGraphs } from "./graphs.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan,WebGPUService", "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader", "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run",
  // As in device.ts: kernels initialise workgroup memory themselves; the polyfill only slows compiles.
  "--enable-dawn-features=disable_workgroup_init",
];

interface Case {
  label: string;
  graph: Graph;
  semirings: Semiring[];
  options: RunOptions;
}

const pick = new Set(["gather", "layer_norm", "softmax", "concat", "reshape (flatten)", "slice", "matmul (batched)", "gelu"]);
const cases: Case[] = [
  ...Object.entries(smallGraphs).map(([label, graph]) => ({
    label, graph, semirings: [...allSemirings.filter((s) => s.name !== "topk"), topk(3)], options: label === "broadcast" ? { aggregate: { x: [1] } } : {},
  })),
  { label: "mlp (large)", graph: largeGraphs["mlp"]!, semirings: [semirings.sumprod, semirings.maxprod, semirings.entropy, topk(2)], options: {} },
  ...named.filter(([label]) => pick.has(label)).map(([label, c]) => ({ label, graph: probed(c.build), semirings: allSemirings, options: {} })),
];

const hasBrowser = existsSync(CHROMIUM) && !process.env["SEMIC_NO_WEBGPU"];
if (!hasBrowser && process.env["CI"]) describe("Chromium", () => test("is installed on CI", () => { throw new Error(NO_ADAPTER); }));

/** The page: imports each module, runs it on the page's GPUDevice, and publishes plain results. */
const page = (n: number) => `<!doctype html><meta charset="utf-8"><title>semic wgsl</title>
<script type="module">
const plain = (x) => ArrayBuffer.isView(x) ? Array.from(x) : Array.isArray(x) ? x.map(plain)
  : x && typeof x === "object" ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)])) : x;
try {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter in Chromium");
  const device = await adapter.requestDevice();
  const feeds = await (await fetch("/feeds.json")).json();
  const out = [];
  for (let i = 0; i < ${n}; i++) {
    const { createModel } = await import("/m/" + i + ".js");
    const model = await createModel(device, feeds[i].params);
    out.push(plain(await model.run(feeds[i].inputs, feeds[i].options)));
    model.destroy();
  }
  device.destroy();
  window.__results = out;
} catch (e) {
  window.__error = String(e && e.stack || e);
}
</script>`;

describe.skipIf(!hasBrowser)(hasBrowser ? "Chromium: WGSL = JS" : `Chromium: WGSL = JS (skipped: ${NO_ADAPTER})`, () => {
  let server: Server, browser: Browser, url: string;
  const feeds = cases.map((c) => ({ ...splitFeeds(c.graph, randomFeed(c.graph, 29)), options: c.options }));
  const files = new Map<string, { type: string; body: string }>();

  beforeAll(async () => {
    cases.forEach((c, i) => files.set(`/m/${i}.js`, { type: "text/javascript", body: compileGraphWgsl(c.graph, { semirings: c.semirings, wrt: wrtOf(c.graph) }).wgsl.js }));
    const json = feeds.map((f) => ({ params: mapValues(f.params), inputs: mapValues(f.inputs), options: f.options }));
    files.set("/feeds.json", { type: "application/json", body: JSON.stringify(json) });
    files.set("/", { type: "text/html", body: page(cases.length) });
    server = createServer((req, res) => {
      const f = files.get(req.url ?? "");
      res.writeHead(f ? 200 : 404, { "content-type": f?.type ?? "text/plain" }).end(f?.body ?? "not found");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
  });

  test(`${cases.length} modules imported and run by one page`, async () => {
    const tab = await browser.newPage();
    await tab.goto(url);
    await tab.waitForFunction(() => "__results" in window || "__error" in window, undefined, { timeout: 150_000 });
    const error = await tab.evaluate(() => (window as unknown as { __error?: string }).__error);
    expect(error, "page error").toBeUndefined();
    const results = await tab.evaluate(() => (window as unknown as { __results: RunResult[] }).__results);
    expect(results.length).toBe(cases.length);
    for (const [i, c] of cases.entries()) {
      const want = await runJs(c.graph, { ...feeds[i]!.params, ...feeds[i]!.inputs }, c.semirings, wrtOf(c.graph), c.options);
      expectSameResults(results[i]!, want, `chromium ${c.label}`);
    }
  }, 180_000);
});

const mapValues = (r: Record<string, ArrayLike<number>>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v)]));
