// The report as one self-contained HTML file: d3 and Observable Plot inlined from their UMD
// bundles (the page must open with no network), the numbers as a JSON block, and the drawing
// function of client.ts as source text.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { drawReport } from "./client.ts";
import type { ReportData } from "./summarize.ts";

const require = createRequire(import.meta.url);

/** The UMD bundles, found next to each package's entry point (their exports list no subpaths). */
export function bundles(): string[] {
  const d3 = join(dirname(require.resolve("d3")), "d3.min.js");
  const plot = join(dirname(dirname(require.resolve("@observablehq/plot"))), "dist", "plot.umd.min.js");
  return [d3, plot].map((f) => readFileSync(f, "utf8"));
}

/** Text that may sit inside a <script> element: no `</script` or `<!--` can end or confuse it. */
export const scriptSafe = (text: string) => text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; border-bottom: 1px solid #ddd; margin-top: 28px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
.facts { color: #555; } .note { color: #7a5b00; font-size: 13px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px 24px; }
figure.chart { margin: 0; } figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.record { border-top: 1px solid #eee; } .path { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 12px; } th, td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #eee; }
td:nth-child(n+5) { text-align: right; font-variant-numeric: tabular-nums; }
`;

/** JSON with non-finite numbers as strings (JSON has no infinities) that the page turns back. */
const dataJson = (data: ReportData) =>
  JSON.stringify(data, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));

export function renderPage(data: ReportData): string {
  const [d3, plot] = bundles();
  // Builds that keep function names wrap functions in __name(); the page has no such helper.
  const draw = `var __name = (f) => f;\n(${drawReport.toString()})(data, Plot, document.getElementById("report"));`;
  const revive = `const data = JSON.parse(document.getElementById("semic-data").textContent, (k, v) => (v === "Infinity" || v === "-Infinity" || v === "NaN" ? Number(v) : v));`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head><body>",
    '<main id="report"></main>',
    `<script>${scriptSafe(d3!)}</script>`,
    `<script>${scriptSafe(plot!)}</script>`,
    `<script type="application/json" id="semic-data">${scriptSafe(dataJson(data))}</script>`,
    `<script>\n${scriptSafe(`${revive}\n${draw}`)}\n</script>`,
    "</body></html>",
    "",
  ].join("\n");
}
