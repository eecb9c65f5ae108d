// fig2.html: the §5.1 figure as one self-contained page (the report's inlined d3 and Observable
// Plot): the claims with their 95% intervals, and the mean oplus value per branch and token group,
// side by side for the two semantics.

import { renderPlotPage } from "./plotPage.ts";
import type { Fig2Results } from "./fig2.ts";

interface PageData {
  readonly claims: { semantics: string; claim: string; fraction: number; low: number; high: number; n: number }[];
  readonly oplus: { semantics: string; group: string; branch: string; value: number }[];
  readonly facts: string;
}

/** Runs in the page: draws the two figures from `data` with Plot. */
function draw(data: PageData, Plot: typeof import("@observablehq/plot"), root: HTMLElement): void {
  const h = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  root.append(h("h1", "Fig. 2 (§5.1): which branch carries each token's flow"), h("p", data.facts));
  root.append(h("h2", "Claims: fraction of positive inputs where each holds (95% Wilson interval)"));
  // One row per claim and semantics, claim-major, labelled on the left (facet labels would be cut).
  const row = (d: { claim: string; semantics: string }) => `${d.claim} — ${d.semantics}`;
  const rows = [...new Set(data.claims.map((d) => d.claim))].flatMap((c) => ["element", "paper"].map((s) => `${c} — ${s}`));
  root.append(
    Plot.plot({
      marginLeft: 430, marginRight: 60, width: 940, x: { domain: [0, 1], label: "fraction of inputs", grid: true }, y: { label: null, domain: rows },
      color: { legend: true },
      marks: [
        Plot.barX(data.claims, { y: row, x: "fraction", fill: "semantics" }),
        Plot.ruleY(data.claims, { y: row, x1: "low", x2: "high", stroke: "black" }),
        Plot.text(data.claims, { y: row, x: "high", text: (d: { fraction: number }) => `${(100 * d.fraction).toFixed(1)}%`, dx: 22 }),
      ],
    }),
  );
  root.append(h("h2", "Mean oplus value per branch and token group (logit of the correct class)"));
  for (const semantics of ["element", "paper"]) {
    root.append(h("h3", `${semantics} semantics`));
    root.append(
      Plot.plot({
        width: 900, height: 260, fx: { label: null, domain: ["first", "repeated", "other"] }, x: { label: null, domain: ["skip", "query", "key", "value"] },
        y: { label: "mean oplus value", grid: true }, color: { domain: ["skip", "query", "key", "value"], legend: true },
        marks: [Plot.barY(data.oplus.filter((d) => d.semantics === semantics), { fx: "group", x: "branch", y: "value", fill: "branch" }), Plot.ruleY([0])],
      }),
    );
  }
}

function pageData(r: Fig2Results): PageData {
  const claims = [], oplus = [];
  for (const semantics of ["element", "paper"] as const) {
    for (const [c, p] of Object.entries(r[semantics].claims)) claims.push({ semantics, claim: r.claims[c as keyof typeof r.claims], fraction: p.fraction, low: p.low, high: p.high, n: p.n });
    for (const [group, byBranch] of Object.entries(r[semantics].meanOplus)) for (const [branch, value] of Object.entries(byBranch)) oplus.push({ semantics, group, branch, value });
  }
  const acc = r.seeds.map((s) => `${(100 * s.valAccuracy).toFixed(1)}%`).join(", ");
  const n = r.seeds.reduce((a, s) => a + s.positives, 0);
  return { claims, oplus, facts: `${r.setup.model}: vocabulary ${r.setup.vocab}, length ${r.setup.seq}; ${r.seeds.length} seed(s), validation accuracy ${acc}; ${n} positive validation inputs; ${r.seconds} s.` };
}

export function renderFig2Page(r: Fig2Results): string {
  return renderPlotPage("semic: Fig. 2 (§5.1)", pageData(r), draw);
}
