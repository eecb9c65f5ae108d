// Drawing an explanation: per-token branch bars as plain SVG, the top path as a chain of steps.

import { BRANCHES, type Explanation, type SemiringName, type Step } from "./explain.ts";

const SVG = "http://www.w3.org/2000/svg";
const COLORS: Record<string, string> = { skip: "#4e79a7", query: "#f28e2b", key: "#59a14f", value: "#e15759" };
const READS: Record<SemiringName, string> = {
  sumprod: "sumprod: the gradient, summed over each token's hidden units",
  maxprod: "maxprod: the best path product through the branch at each token (× : no path)",
};

export const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1e-3 || v === 0 ? +v.toPrecision(6) : v.toExponential(3)).toString() : v > 0 ? "∞" : "−∞");

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** One semiring's bars: a group per token, a bar per branch, on a linear scale that includes 0. */
export function branchBars(x: Explanation, semiring: SemiringName): HTMLElement {
  const figure = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = READS[semiring];
  const rows = BRANCHES.map((b) => x.bars[semiring][b]);
  const finite = rows.flat().filter(Number.isFinite);
  const hi = Math.max(0, ...finite), lo = Math.min(0, ...finite);
  const [w, h, top, left, group] = [640, 200, 10, 80, 90];
  const scale = (h - 40) / (hi - lo || 1);
  const mid = top + hi * scale;
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img" });
  svg.append(el("line", { x1: left, x2: w, y1: mid, y2: mid, stroke: "#999" }));
  svg.append(el("text", { x: left - 4, y: top + 8, "text-anchor": "end", "font-size": 10 }, fmt(hi)));
  svg.append(el("text", { x: left - 4, y: h - 30, "text-anchor": "end", "font-size": 10 }, fmt(lo)));
  x.ids.forEach((id, t) => {
    const x0 = left + 10 + t * group;
    svg.append(el("text", { x: x0 + 36, y: h - 8, "text-anchor": "middle", "font-size": 12 }, `#${t}: ${id}`));
    BRANCHES.forEach((b, i) => {
      const v = x.bars[semiring][b][t]!;
      const bx = x0 + i * 18;
      if (!Number.isFinite(v)) {
        svg.append(el("text", { x: bx + 7, y: mid + 4, "text-anchor": "middle", "font-size": 11, fill: COLORS[b]! }, "×"));
        return;
      }
      const len = Math.abs(v) * scale;
      const bar = el("rect", { x: bx, y: v >= 0 ? mid - len : mid, width: 14, height: Math.max(len, 0.5), fill: COLORS[b]! });
      bar.append(el("title", {}, `token ${t} (${id}), ${b}: ${fmt(v)}`));
      svg.append(bar);
    });
  });
  const legend = document.createElement("p");
  legend.className = "legend";
  legend.innerHTML = BRANCHES.map((b) => `<span style="color:${COLORS[b]}">■</span> ${b}`).join(" ");
  figure.append(caption, svg, legend);
  return figure;
}

/** The top path as a chain: each step's op, tensor, element, edge weight and running product. */
export function pathChain(steps: Step[]): HTMLElement {
  const ol = document.createElement("ol");
  ol.className = "path";
  let product = 1;
  for (const s of steps) {
    product *= s.weight;
    const li = document.createElement("li");
    li.innerHTML = `<b></b><span class="tensor"></span><span>weight <code></code></span><span>product <code></code></span>`;
    const [op, tensor, weight, running] = Array.from(li.querySelectorAll("b, .tensor, code"));
    op!.textContent = s.op;
    tensor!.textContent = `${s.tensor}[${s.index.join(",")}]`;
    weight!.textContent = fmt(s.weight);
    running!.textContent = fmt(product);
    ol.append(li);
  }
  return ol;
}
