// fig4.html: the §5.2 figure as one self-contained page (the report's inlined d3 and Observable
// Plot): per layer, the share of each token group's top paths through each branch, side by side
// for the two semantics, and the claims with their 95% intervals.

import { renderPlotPage } from "./plotPage.ts";
import type { Fig4Results } from "./fig4.ts";

interface PageData {
  readonly claims: { semantics: string; claim: string; fraction: number; low: number; high: number }[];
  readonly shares: { semantics: string; group: string; layer: string; branch: string; share: number }[];
  readonly facts: string;
}

/** Runs in the page: draws the figures from `data` with Plot. */
function draw(data: PageData, Plot: typeof import("@observablehq/plot"), root: HTMLElement): void {
  const h = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  root.append(h("h1", "Fig. 4 (§5.2 stand-in): which branch carries the top path, per layer"), h("p", data.facts));
  const branches = ["skip", "query", "key", "value"];
  for (const semantics of ["element", "paper"]) {
    root.append(h("h2", `${semantics} semantics: share of tokens whose top path goes through each branch`));
    root.append(
      Plot.plot({
        width: 1000, height: 420, marginRight: 90, fy: { label: null, domain: ["subject", "attractors", "all"] }, fx: { label: "layer" },
        x: { label: null, domain: branches }, y: { label: "share of tokens", domain: [0, 1], grid: true }, color: { domain: branches, legend: true },
        marks: [Plot.barY(data.shares.filter((d) => d.semantics === semantics), { fx: "layer", fy: "group", x: "branch", y: "share", fill: "branch" }), Plot.ruleY([0])],
      }),
    );
  }
  root.append(h("h2", "Claims: fraction of sentences where each holds (95% Wilson interval)"));
  const row = (d: { claim: string; semantics: string }) => `${d.claim} — ${d.semantics}`;
  const rows = [...new Set(data.claims.map((d) => d.claim))].flatMap((c) => ["element", "paper"].map((s) => `${c} — ${s}`));
  root.append(
    Plot.plot({
      marginLeft: 560, marginRight: 60, width: 1040, x: { domain: [0, 1], label: "fraction of sentences", grid: true }, y: { label: null, domain: rows },
      color: { legend: true },
      marks: [
        Plot.barX(data.claims, { y: row, x: "fraction", fill: "semantics" }),
        Plot.ruleY(data.claims, { y: row, x1: "low", x2: "high", stroke: "black" }),
        Plot.text(data.claims, { y: row, x: "high", text: (d: { fraction: number }) => `${(100 * d.fraction).toFixed(1)}%`, dx: 22 }),
      ],
    }),
  );
}

function pageData(r: Fig4Results): PageData {
  const claims = [], shares = [];
  for (const semantics of ["element", "paper"] as const) {
    for (const [c, p] of Object.entries(r[semantics].claims)) claims.push({ semantics, claim: r.claims[c as keyof typeof r.claims], fraction: p.fraction, low: p.low, high: p.high });
    for (const [i, l] of r[semantics].layers.entries()) {
      for (const [group, byBranch] of Object.entries(l.winShare)) for (const [branch, share] of Object.entries(byBranch)) shares.push({ semantics, group, layer: String(i), branch, share });
    }
  }
  const model = "checkpoint" in r.setup ? `checkpoint ${r.setup.checkpoint}` : `${r.setup.model} (held-out agreement accuracy ${(100 * r.setup.heldOutAccuracy).toFixed(1)}%)`;
  return { claims, shares, facts: `${model}; ${r.setup.sentences} sentences of ${r.setup.lengths[0]}–${r.setup.lengths.at(-1)} tokens, agreement accuracy on them ${(100 * r.readAccuracy).toFixed(1)}%; quantity: ${r.setup.quantity}; ${r.seconds} s.` };
}

export function renderFig4Page(r: Fig4Results): string {
  return renderPlotPage("semic: Fig. 4 (§5.2)", pageData(r), draw);
}
