// The report page's drawing code. It runs in the browser: page.ts embeds this function's source
// (Function.prototype.toString), so it must not use anything from outside its own body; Plot
// (Observable Plot's UMD bundle) is passed in. It only draws: the numbers come from summarize.ts.

import type * as PlotModule from "@observablehq/plot";
import type { ReportData } from "./summarize.ts";

export function drawReport(data: ReportData, Plot: typeof PlotModule, root: HTMLElement): void {
  const fmt = (x: number) =>
    Number.isFinite(x) ? (x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5) ? String(Number(x.toPrecision(4))) : x.toExponential(2)) : x > 0 ? "∞" : x < 0 ? "−∞" : "NaN";
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const section = (title: string, note?: string) => {
    const s = el("section");
    s.append(el("h2", title));
    if (note) s.append(el("p", note, "note"));
    root.append(s);
    return s;
  };
  const chart = (parent: HTMLElement, kind: string, title: string, plot: Element) => {
    const box = el("figure", undefined, "chart");
    box.dataset["chart"] = kind;
    box.append(el("figcaption", title), plot);
    parent.append(box);
  };

  root.append(el("h1", data.title));
  const facts = [
    `${data.records} record${data.records === 1 ? "" : "s"}`,
    `semirings ${data.semirings.join(", ")}`,
    data.tensor ? `heat maps of ${data.tensor}` : "no wrt tensor",
    data.groupBy ? `token groups from ${data.groupBy}` : "no token groups",
  ];
  root.append(el("p", facts.join(" · "), "facts"));
  for (const n of data.notes) root.append(el("p", n, "note"));

  // Branch values per token group: one chart per semiring and view, groups side by side.
  const bars = section(
    "Branches per token group",
    "Mean per token over every record: oplus and bucket_sum are the paper's readings of the branch point, sum is semic's ⊕ over the token's hidden units.",
  );
  const grid = el("div", undefined, "grid");
  bars.append(grid);
  for (const b of data.bars) {
    const plot = Plot.plot({
      width: 460,
      height: 240,
      marginBottom: 40,
      fx: { label: null },
      x: { axis: null },
      y: { grid: true, label: "mean per token", tickFormat: fmt },
      color: { legend: true },
      marks: [
        Plot.barY(b.rows, { fx: "group", x: "branch", y: "value", fill: "branch", title: (d: (typeof b.rows)[number]) => `${d.branch} · ${d.group}: ${fmt(d.value)} (${d.tokens} tokens)` }),
        Plot.ruleY([0]),
      ],
    });
    chart(grid, "bars", `${b.semiring} · ${b.view}`, plot);
  }

  // Distributions of the output and of every readout.
  const dist = section("Distributions", "Every element of every record; past three decades the axis is log10 |value|, bars split by sign.");
  const hgrid = el("div", undefined, "grid");
  dist.append(hgrid);
  for (const h of data.histograms) {
    const left = [h.nonFinite > 0 ? `${h.nonFinite} ±∞ (no path)` : "", h.zeros > 0 ? `${h.zeros} zeros` : ""].filter((s) => s !== "");
    const plot = Plot.plot({
      width: 460,
      height: 200,
      x: { label: h.axis },
      y: { grid: true, label: "count" },
      color: { domain: ["all", "positive", "negative"], range: ["#4e79a7", "#4e79a7", "#e15759"] },
      marks: [Plot.rectY(h.bins, { x1: "x1", x2: "x2", y: "count", fill: "sign", insetLeft: 0.5, insetRight: 0.5 }), Plot.ruleY([0])],
    });
    chart(hgrid, "histogram", `${h.title} (${h.total}${left.length > 0 ? `; left out: ${left.join(", ")}` : ""})`, plot);
  }

  // One panel per record: a token heat map (rows: semirings) and each top path step by step.
  const recs = section("Records", `The first ${data.details.length} records. Heat map shades are scaled per row (largest |value| = full colour).`);
  for (const d of data.details) {
    const panel = el("article", undefined, "record");
    panel.append(el("h3", `record ${d.id} · line ${d.line} · output ${fmt(d.output)}`));
    if (d.heat.length > 0) {
      const plot = Plot.plot({
        width: Math.max(320, 90 + 58 * d.tokens.length),
        height: 40 + 34 * new Set(d.heat.map((c) => c.semiring)).size,
        marginLeft: 80,
        x: { domain: d.tokens, label: "token (position:id)", axis: "top" },
        y: { label: null },
        color: { type: "diverging", scheme: "RdBu", domain: [-1, 1] },
        marks: [
          Plot.cell(d.heat, { x: "token", y: "semiring", fill: "shade", inset: 1, title: (c: (typeof d.heat)[number]) => `${c.semiring} ${c.token}: ${fmt(c.value)}` }),
          Plot.text(d.heat, { x: "token", y: "semiring", text: (c: (typeof d.heat)[number]) => fmt(c.value), fontSize: 9, fill: (c: (typeof d.heat)[number]) => (Math.abs(c.shade) > 0.6 ? "white" : "black") }),
        ],
      });
      chart(panel, "heat", `${data.tensor ?? ""} per token, ⊕ over hidden units`, plot);
    }
    for (const p of d.paths) {
      const plot = Plot.plot({
        width: 460,
        height: 200,
        x: { label: "step", ticks: p.steps.length, tickFormat: "d" },
        y: { grid: true, label: "running product", tickFormat: fmt },
        marks: [
          Plot.ruleY([0]),
          Plot.line(p.steps, { x: "step", y: "product", stroke: "#999" }),
          Plot.dot(p.steps, { x: "step", y: "product", fill: "#4e79a7", r: 4, title: (s: (typeof p.steps)[number]) => `${s.op} ${s.tensor}${s.index} × ${fmt(s.weight)}` }),
        ],
      });
      const row = el("div", undefined, "path");
      chart(row, "path", `${p.semiring} top path, step by step`, plot);
      const table = el("table");
      const head = el("tr");
      for (const h of ["step", "op", "tensor", "index", "weight", "running product"]) head.append(el("th", h));
      table.append(head);
      for (const s of p.steps) {
        const tr = el("tr");
        for (const v of [String(s.step), s.op, s.tensor, s.index, fmt(s.weight), fmt(s.product)]) tr.append(el("td", v));
        table.append(tr);
      }
      row.append(table);
      panel.append(row);
    }
    recs.append(panel);
  }
  document.body.dataset["drawn"] = "yes";
}
