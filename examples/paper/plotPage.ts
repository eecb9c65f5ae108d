// One self-contained HTML page drawn by a function that runs in the browser with the report's
// inlined d3 and Observable Plot (no network): what each experiment writes next to its JSON.

import { bundles, scriptSafe } from "../../compiler/study/report/page.ts";

export type Draw<D> = (data: D, Plot: typeof import("@observablehq/plot"), root: HTMLElement) => void;

export function renderPlotPage<D>(title: string, data: D, draw: Draw<D>): string {
  const [d3, plot] = bundles();
  const script = `var __name = (f) => f;\nconst data = ${JSON.stringify(data)};\n(${draw.toString()})(data, Plot, document.getElementById("figure"));`;
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${title.replace(/[<&]/g, "")}</title>`,
    "<style>body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1080px; padding: 0 16px; } h2 { font-size: 16px; }</style>",
    '</head><body><main id="figure"></main>',
    `<script>${scriptSafe(d3!)}</script>`,
    `<script>${scriptSafe(plot!)}</script>`,
    `<script>\n${scriptSafe(script)}\n</script>`,
    "</body></html>",
    "",
  ].join("\n");
}
