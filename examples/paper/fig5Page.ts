// fig5.html: the §5.3 figure as one self-contained page (the report's inlined d3 and Observable
// Plot): mean per-token gradient entropy against online-code MDL, one point per task and seed
// (dropped runs hollow), and the per-task table.

import type { Fig5Results } from "./fig5.ts";
import { renderPlotPage } from "./plotPage.ts";

interface PageData {
  readonly points: { task: string; seed: number; kbits: number; entropy: number; attention: number; accuracy: number; kept: boolean }[];
  readonly tasks: { task: string; kbits: number; entropy: number; entropyAtInit: number; attention: number; accuracy: number; kept: string }[];
  readonly facts: string;
}

/** Runs in the page: draws the scatter and the table from `data` with Plot. */
function draw(data: PageData, Plot: typeof import("@observablehq/plot"), root: HTMLElement): void {
  const h = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  root.append(h("h1", "Fig. 5 (§5.3): gradient entropy against task difficulty"), h("p", data.facts));
  root.append(h("h2", "Mean per-token entropy (nats) against online-code MDL (kbits); hollow: dropped (low validation accuracy)"));
  const kept = data.points.filter((d) => d.kept), dropped = data.points.filter((d) => !d.kept);
  root.append(
    Plot.plot({
      width: 900, height: 480, marginRight: 220, grid: true,
      x: { label: "MDL, online code (kbits)" }, y: { label: "mean entropy per token (nats)" },
      color: { legend: true, domain: data.tasks.map((t) => t.task) },
      marks: [
        Plot.dot(kept, { x: "kbits", y: "entropy", fill: "task", r: 5, title: (d: { task: string; seed: number; accuracy: number }) => `${d.task}, seed ${d.seed}, accuracy ${(100 * d.accuracy).toFixed(1)}%` }),
        Plot.dot(dropped, { x: "kbits", y: "entropy", stroke: "task", r: 5, title: (d: { task: string; seed: number; accuracy: number }) => `${d.task}, seed ${d.seed}, accuracy ${(100 * d.accuracy).toFixed(1)}% (dropped)` }),
      ],
    }),
  );
  root.append(h("h2", "The same runs' gradient entropy against how spread their attention is (mean entropy of the attention rows, nats)"));
  root.append(
    Plot.plot({
      width: 900, height: 360, marginRight: 220, grid: true,
      x: { label: "attention entropy (nats)" }, y: { label: "mean entropy per token (nats)" },
      color: { domain: data.tasks.map((t) => t.task) },
      marks: [Plot.dot(kept, { x: "attention", y: "entropy", fill: "task", r: 5 }), Plot.dot(dropped, { x: "attention", y: "entropy", stroke: "task", r: 5 })],
    }),
  );
  root.append(h("h2", "Per task: means over the kept seeds (over all seeds where none is kept); entropy of the untrained model for comparison"));
  const table = document.createElement("table");
  table.append(...[
    ["task", "MDL (kbits)", "entropy (nats)", "untrained", "attention entropy", "validation accuracy", "kept"],
    ...data.tasks.map((t) => [t.task, t.kbits.toFixed(2), t.entropy.toFixed(3), t.entropyAtInit.toFixed(3), t.attention.toFixed(3), `${(100 * t.accuracy).toFixed(1)}%`, t.kept]),
  ].map((cells, i) => {
    const tr = document.createElement("tr");
    tr.append(...cells.map((c, j) => Object.assign(h(i === 0 ? "th" : "td", c), { style: `padding: 2px 10px; text-align: ${j === 0 ? "left" : "right"}` })));
    return tr;
  }));
  root.append(table);
}

function pageData(r: Fig5Results): PageData {
  const points = r.runs.map((x) => ({ task: x.task, seed: x.seed, kbits: x.mdlBits / 1000, entropy: x.entropy, attention: x.attentionEntropy, accuracy: x.valAccuracy, kept: x.kept }));
  const tasks = r.summary.tasks.map((t) => ({ task: t.task, kbits: t.mdlBits / 1000, entropy: t.entropy, entropyAtInit: t.entropyAtInit, attention: t.attentionEntropy, accuracy: t.valAccuracy, kept: `${t.kept}/${t.runs}` }));
  const m = r.setup.model;
  const rho = (x: number | null) => (x === null ? "n/a" : x.toFixed(2));
  const s = r.summary.spearman;
  return {
    points, tasks,
    facts: `${r.setup.modelFile}: ${m["layers"]} layers, hidden ${m["d"]}, ${m["heads"]} heads, vocabulary ${m["vocab"]}, length ${m["seq"]}, ${m["classes"]} outputs; ` +
      `${r.setup.train} training and ${r.setup.val} validation examples per task and seed, seeds ${r.setup.seeds.join(", ")}; runs under ${100 * r.setup.threshold}% validation accuracy dropped (${r.summary.kept} of ${r.runs.length} kept). ` +
      `Spearman ρ(entropy, MDL) over kept runs: all ${rho(s.all)}, binary tasks ${rho(s.binary)}, BinCountOnes ${rho(s.binCountOnes)}; against the attention entropy instead of MDL: ${rho(s.entropyVsAttention)}. Run time ${r.seconds} s (summed over the parts of a merged run).`,
  };
}

export function renderFig5Page(r: Fig5Results): string {
  return renderPlotPage("semic: Fig. 5 (§5.3)", pageData(r), draw);
}
