// `semic report`: the numbers (group means, histograms, heat maps, top paths) against direct
// computations from the results file, located errors, and the page itself in headless Chromium:
// it opens offline with no console error, its charts hold the expected number of marks, and a
// screenshot is not blank.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { histogram } from "../../compiler/study/report/histogram.ts";
import { renderPage } from "../../compiler/study/report/page.ts";
import { summarize, type ReportData } from "../../compiler/study/report/summarize.ts";
import { branchPoints } from "../../compiler/study/views.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { sequences, writeResults } from "./reportFixture.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const BIN = fileURLToPath(new URL("../../bin/semic.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "semic-report-"));
const RESULTS = join(dir, "results.jsonl");
const N = 8;
const fixture = sequences(N, 3);
let lines: string[] = [];
let data: ReportData;

type Json = { results: Record<string, { branchViews: Record<string, Record<string, { value: number[][] | number[] }>>; topPath?: { weight: number }[] }> };

beforeAll(async () => {
  lines = await writeResults(RESULTS, fixture, { views: ["oplus", "bucket_sum", "sum"] });
  data = await summarize(RESULTS, { title: "t", records: 3, groupLabels: ["other", "first", "repeated"] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("summarize", () => {
  test("branch means per token group equal a direct average over the records", () => {
    const records = lines.map((l) => JSON.parse(l) as Json);
    const names = ["other", "first", "repeated"];
    for (const chart of data.bars) {
      for (const row of chart.rows) {
        const vals: number[] = [];
        records.forEach((r, i) => {
          const v = r.results[chart.semiring]!.branchViews[chart.view]![row.branch]!.value.flat() as (number | string)[];
          v.forEach((x, t) => {
            if (names[fixture[i]!.group[t]!] === row.group && typeof x === "number") vals.push(x);
          });
        });
        expect(row.tokens, `${chart.semiring} ${chart.view} ${row.branch} ${row.group}`).toBe(vals.length);
        expect(row.value).toBeCloseTo(vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0, 12);
      }
    }
    // 3 semirings' sum view + maxprod's oplus and bucket_sum; 4 branches × 3 groups each.
    expect(data.bars.map((b) => `${b.semiring} ${b.view}`).sort()).toEqual(
      ["entropy sum", "maxprod bucket_sum", "maxprod oplus", "maxprod sum", "sumprod sum"],
    );
    for (const b of data.bars) expect(b.rows).toHaveLength(12);
  });

  test("records without branch views (dataset runs) get them from the model's branch points (--model)", async () => {
    const plain = join(dir, "plain.jsonl");
    await writeResults(plain, fixture);
    const points = branchPoints(loadModel(fileURLToPath(new URL("../../examples/transformer.ts", import.meta.url))).graph);
    const fromModel = await summarize(plain, { title: "t", records: 0, groupLabels: ["other", "first", "repeated"], points });
    // entropy's ⊕ needs lanes, which results files do not hold for branches: no entropy sum chart.
    const want = data.bars.filter((b) => b.semiring !== "entropy");
    expect(fromModel.bars.map((b) => `${b.semiring} ${b.view}`).sort()).toEqual(want.map((b) => `${b.semiring} ${b.view}`).sort());
    for (const b of fromModel.bars) {
      const ref = want.find((w) => w.semiring === b.semiring && w.view === b.view)!;
      b.rows.forEach((row, i) => {
        expect(row.tokens).toBe(ref.rows[i]!.tokens);
        expect(row.value).toBeCloseTo(ref.rows[i]!.value, 12);
      });
    }
  });

  test("top paths: running products end at the product of all weights", () => {
    const first = JSON.parse(lines[0]!) as Json;
    const path = data.details[0]!.paths.find((p) => p.semiring === "maxprod")!;
    const weights = first.results["maxprod"]!.topPath!.map((s) => s.weight);
    expect(path.steps.map((s) => s.weight)).toEqual(weights);
    expect(path.steps.at(-1)!.product).toBeCloseTo(weights.reduce((a, b) => a * b, 1), 14);
  });

  test("heat maps: one cell per semiring and token, labelled position:id, shades in [-1, 1]", () => {
    const d = data.details[0]!;
    expect(d.tokens).toEqual(fixture[0]!.ids.map((id, i) => `${i}:${id}`));
    expect(d.heat).toHaveLength(3 * 6);
    expect(Math.max(...d.heat.map((c) => Math.abs(c.shade)))).toBeCloseTo(1, 12);
    // sumprod per token is the plain sum of the token's gradient.
    const grad = (JSON.parse(lines[0]!) as { results: { sumprod: { wrt: { embeddings: { value: number[][] } } } } }).results.sumprod.wrt.embeddings.value;
    const cells = d.heat.filter((c) => c.semiring === "sumprod").map((c) => c.value);
    grad.forEach((row, t) => expect(cells[t]).toBeCloseTo(row.reduce((a, b) => a + b, 0), 14));
  });

  test("histograms count every finite value once, on a log axis when values span decades", () => {
    const h = histogram("x", [1e-9, -1e-3, 2, 0, -Infinity, 5e-6]);
    expect(h.axis).toBe("log10 |value|");
    expect([h.total, h.nonFinite, h.zeros]).toEqual([6, 1, 1]);
    expect(h.bins.reduce((a, b) => a + b.count, 0)).toBe(4);
    expect(h.bins.filter((b) => b.sign === "negative").reduce((a, b) => a + b.count, 0)).toBe(1);
    const lin = histogram("y", [1, 2, 2, 3], 2);
    expect(lin.bins.map((b) => [b.x1, b.x2, b.count])).toEqual([[1, 2, 1], [2, 3, 3]]);
    for (const g of data.histograms) expect(g.bins.reduce((a, b) => a + b.count, 0) + g.nonFinite + g.zeros).toBe(g.total);
  });

  test.each([
    ["not JSON", "{oops\n", {}, /bad\.jsonl:2: not JSON/],
    ["no results", '{"line": 1}\n', {}, /bad\.jsonl:2: no "results" object/],
    ["a group list of the wrong length", null, { groupBy: "extra.meta.short" }, /bad\.jsonl:1: extra\.meta\.short has 2 entries but branch query has 6 tokens/],
    ["an unknown tensor", null, { tensor: "nope" }, /bad\.jsonl:1: no wrt tensor "nope" in the record \(it has embeddings\)/],
  ])("a located error for %s", async (_what, second, opts, message) => {
    const first = JSON.parse(lines[0]!) as { extra: { meta: Record<string, unknown> } };
    first.extra.meta["short"] = [1, 2];
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, JSON.stringify(first) + "\n" + (second ?? ""));
    await expect(summarize(file, { title: "t", records: 1, ...opts })).rejects.toThrow(message);
  });
});

describe("semic report", () => {
  const semic = (...args: string[]) => spawnSync(process.execPath, [BIN, "report", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, SEMIC_DEBUG: "" } });

  test("writes one self-contained page", () => {
    const r = semic("results.jsonl", "-o", "page.html", "--records", "2");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote page\.html \(\d+ KB\): 8 records, 5 branch charts, 4 distributions, 2 records drawn\n/);
    const html = readFileSync(join(dir, "page.html"), "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/);
  });

  test("a missing results file: exit 1, one line, no page", () => {
    const r = semic("missing.jsonl", "-o", "none.html");
    expect([r.status, r.stdout, r.stderr]).toEqual([1, "", "semic: missing.jsonl: no such results file\n"]);
    expect(existsSync(join(dir, "none.html"))).toBe(false);
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env["CI"]) throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium`);

describe.runIf(haveChromium)("the page in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const file = join(dir, "report.html");
    writeFileSync(file, renderPage(data));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.route("**/*", (route) => {
      if (!route.request().url().startsWith("file:")) requests.push(route.request().url());
      return route.request().url().startsWith("file:") ? route.continue() : route.abort();
    });
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => document.body.dataset["drawn"] === "yes", undefined, { timeout: 30_000 });
  }, 60_000);
  afterAll(async () => browser?.close());

  test("opens with no console error and no network request", () => {
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  test("every chart holds the expected number of marks", async () => {
    const count = (chart: string, mark: string, shape: string) =>
      page.$$eval(`figure[data-chart="${chart}"]`, (figs, sel) => figs.map((f) => f.querySelectorAll(sel).length), `g[aria-label="${mark}"] ${shape}`);
    expect(await count("bars", "bar", "rect")).toEqual(data.bars.map((b) => b.rows.length));
    expect(await count("histogram", "rect", "rect")).toEqual(data.histograms.map((h) => h.bins.length));
    expect(await count("heat", "cell", "rect")).toEqual(data.details.map((d) => d.heat.length));
    expect(await count("path", "dot", "circle")).toEqual(data.details.flatMap((d) => d.paths.map((p) => p.steps.length)));
    expect(await page.$eval("figure[data-chart=path] + table", (t) => t.querySelectorAll("tr").length)).toBe(data.details[0]!.paths[0]!.steps.length + 1);
  });

  test("a screenshot is not blank", async () => {
    const png = await page.screenshot({ fullPage: true });
    const check = await browser.newPage();
    const inked = await check.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement("canvas");
      [canvas.width, canvas.height] = [img.width, img.height];
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      let ink = 0;
      const colours = new Set<number>();
      for (let i = 0; i < px.length; i += 4) {
        if (px[i]! < 235 || px[i + 1]! < 235 || px[i + 2]! < 235) ink++;
        colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
      }
      return { ink: ink / (px.length / 4), colours: colours.size };
    }, `data:image/png;base64,${png.toString("base64")}`);
    expect(inked.ink).toBeGreaterThan(0.03);
    expect(inked.colours).toBeGreaterThan(50);
  });
});
