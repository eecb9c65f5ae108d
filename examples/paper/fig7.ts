// The paper's App. B.2 (Fig. 7): on fig4's masked LM and corpus, sentences balanced over 1–4
// attractors within each length bin; the mean per-token path entropy at the input (the layer-0
// attention input) against the number of attractors, with Spearman's ρ per bin and a permutation
// p-value. The paper's bins are 10–20…40–50 tokens of real sentences; the generated sentences run
// from 10 to 36 word pieces and every attractor count occurs from 18 on, so the bins here are
// 18–23, 24–29 and 30–36. Writes fig7.json and fig7.html.
//
//   npx tsx examples/paper/fig7.ts            # full: 50 sentences per bin and attractor count
//   npx tsx examples/paper/fig7.ts --quick    # a smoke run (tests)

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../../compiler/cli/load.ts";
import { writeFilesAtomically } from "../../compiler/cli/output.ts";
import { stringifyJson } from "../../compiler/cli/report.ts";
import type { SemanticsName } from "../../compiler/semantics.ts";
import { figureCommand, positiveInt, runCommand } from "./command.ts";
import { generateCorpus, type Sentence } from "./agreement/corpus.ts";
import { renderPlotPage, type Draw } from "./plotPage.ts";
import { spearmanTest } from "./rank.ts";
import { FULL_LM, QUICK_LM, trainedLm, type LmSetup } from "./agreement/setup.ts";

export const BINS: readonly (readonly [number, number])[] = [[18, 23], [24, 29], [30, 36]];
export const ATTRACTORS = [1, 2, 3, 4] as const;
const POOL_SEED = 23;

export interface Fig7Options {
  readonly lm: LmSetup;
  /** Sentences per length bin and attractor count. */
  readonly perCell: number;
  /** Keep only this many lengths per bin (each length compiles one module). */
  readonly lengthsPerBin?: number;
  readonly cache?: string;
}

export const FULL: Fig7Options = { lm: FULL_LM, perCell: 50 };
export const QUICK: Fig7Options = { lm: QUICK_LM, perCell: 3, lengthsPerBin: 1 };

/** Per bin and attractor count, the first `perCell` sentences of a fresh pool. */
function balanced(o: Fig7Options): Sentence[][][] {
  const pool = generateCorpus(POOL_SEED, 120 * o.perCell).sentences;
  return BINS.map(([lo, hi]) => {
    let inBin = pool.filter((s) => s.ids.length >= lo && s.ids.length <= hi);
    if (o.lengthsPerBin) {
      // The lengths whose rarest attractor count is most common: every cell can still be filled.
      const rarest = (len: number) => Math.min(...ATTRACTORS.map((k) => inBin.filter((s) => s.ids.length === len && s.attractors.length === k).length));
      const lengths = [...new Set(inBin.map((s) => s.ids.length))].map((len) => [len, rarest(len)] as const);
      const keep = new Set(lengths.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, o.lengthsPerBin).map(([len]) => len));
      inBin = inBin.filter((s) => keep.has(s.ids.length));
    }
    return ATTRACTORS.map((k) => {
      const cell = inBin.filter((s) => s.attractors.length === k).slice(0, o.perCell);
      if (cell.length < o.perCell) throw new CliError(`fig7: only ${cell.length} sentences of ${lo}–${hi} tokens with ${k} attractor(s) in the pool, ${o.perCell} asked (try a smaller --per-cell)`);
      return cell;
    });
  });
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const sd = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

export async function runFig7(o: Fig7Options, log: (line: string) => void = () => {}) {
  const t0 = performance.now();
  const lm = await trainedLm(o.lm, log, o.cache);
  const cells = balanced(o);
  const read = async (semantics: SemanticsName) => {
    const bins = [];
    for (const [b, byK] of cells.entries()) {
      const k: number[] = [], entropy: number[] = [];
      const perK = [];
      for (const [j, sentences] of byK.entries()) {
        const values = [];
        for (const s of sentences) values.push(mean(await lm.reader.entropy(s, semantics)));
        perK.push({ attractors: ATTRACTORS[j]!, n: values.length, meanEntropy: mean(values), sd: sd(values) });
        k.push(...values.map(() => ATTRACTORS[j]!));
        entropy.push(...values);
      }
      const [lo, hi] = BINS[b]!;
      const rho = spearmanTest(k, entropy);
      log(`${semantics} bin ${lo}–${hi} tokens: Spearman ρ ${rho.rho.toFixed(3)} (p ${rho.p.toFixed(3)}, n ${rho.n})`);
      bins.push({ tokens: [lo, hi], cells: perK, spearman: rho });
    }
    return bins;
  };
  const element = await read("element");
  const paper = await read("paper");
  return {
    experiment: "fig7",
    setup: { model: "examples/paper/agreement/maskedLm.ts", ...o.lm, perCell: o.perCell, bins: BINS, read: "mean over tokens of the path entropy (nats) from each token of the layer-0 attention input, units pooled by the entropy semiring's ⊕", quantity: "logit(correct form) − logit(wrong form) at [MASK]" },
    model: { heldOutAccuracy: lm.accuracy, trainLoss: lm.loss },
    element,
    paper,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export type Fig7Results = Awaited<ReturnType<typeof runFig7>>;

interface PageData {
  readonly points: { semantics: string; bin: string; attractors: number; meanEntropy: number; low: number; high: number }[];
  readonly facts: string;
}

const draw: Draw<PageData> = (data, Plot, root) => {
  const h = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  root.append(h("h1", "Fig. 7 (App. B.2): input entropy vs number of attractors, per length bin"), h("p", data.facts));
  for (const semantics of ["element", "paper"]) {
    const points = data.points.filter((d) => d.semantics === semantics);
    root.append(h("h2", `${semantics} semantics`));
    root.append(
      Plot.plot({
        width: 900, height: 380, x: { label: "attractors", ticks: [1, 2, 3, 4] }, y: { label: "mean per-token entropy (nats), ± 1 s.e.", grid: true }, color: { legend: true, label: "tokens" },
        marks: [
          Plot.line(points, { x: "attractors", y: "meanEntropy", stroke: "bin" }),
          Plot.dot(points, { x: "attractors", y: "meanEntropy", fill: "bin" }),
          Plot.ruleX(points, { x: "attractors", y1: "low", y2: "high", stroke: "bin" }),
        ],
      }),
    );
  }
};

export function renderFig7Page(r: Fig7Results): string {
  const points = (["element", "paper"] as const).flatMap((semantics) => r[semantics].flatMap((b) => b.cells.map((c) => {
    const se = c.sd / Math.sqrt(c.n);
    return { semantics, bin: `${b.tokens[0]}–${b.tokens[1]}`, attractors: c.attractors, meanEntropy: c.meanEntropy, low: c.meanEntropy - se, high: c.meanEntropy + se };
  })));
  const rhos = (semantics: "element" | "paper") => r[semantics].map((b) => `${b.tokens[0]}–${b.tokens[1]}: ρ ${b.spearman.rho.toFixed(3)} (p ${b.spearman.p.toFixed(3)})`).join("; ");
  return renderPlotPage("semic: Fig. 7 (App. B.2)", { points, facts: `${r.setup.model}, held-out agreement accuracy ${(100 * r.model.heldOutAccuracy).toFixed(1)}%; ${r.setup.perCell} sentences per bin and attractor count. Spearman ρ (attractors vs mean entropy) per bin — element: ${rhos("element")}; paper: ${rhos("paper")}; ${r.seconds} s.` }, draw);
}

async function main() {
  const program = figureCommand("fig7", "The paper's App. B.2 (Fig. 7): input path entropy vs number of attractors per length bin, with Spearman's ρ, on fig4's masked LM.", "a small model and 3 sentences per cell (a smoke run, under a minute)")
    .option("--per-cell <n>", "sentences per length bin and attractor count (full: 50)", positiveInt("--per-cell"))
    .option("--cache <dir>", "keep the trained masked LM's weights here and reuse them (fig4 and fig6 train the same model)")
    .addHelpText("after", "\nExamples:\n  npx tsx examples/paper/fig7.ts --out results/fig7 --cache /tmp/semic-lm\n  npx tsx examples/paper/fig7.ts --quick --out /tmp/fig7")
    .parse();
  const flags = program.opts<{ quick?: boolean; out: string; perCell?: number; cache?: string }>();
  const o: Fig7Options = { ...(flags.quick ? QUICK : FULL), ...(flags.perCell ? { perCell: flags.perCell } : {}), ...(flags.cache ? { cache: flags.cache } : {}) };
  const results = await runFig7(o, (line) => console.error(line));
  writeFilesAtomically(new Map([[join(flags.out, "fig7.json"), stringifyJson(results)], [join(flags.out, "fig7.html"), renderFig7Page(results)]]));
  for (const semantics of ["element", "paper"] as const) {
    for (const b of results[semantics]) {
      const cells = b.cells.map((c) => `${c.attractors}: ${c.meanEntropy.toFixed(4)}`).join(", ");
      console.log(`${semantics.padEnd(7)} tokens ${b.tokens[0]}–${b.tokens[1]}  rho ${b.spearman.rho.toFixed(3)}  p ${b.spearman.p.toFixed(3)}  n ${b.spearman.n}  mean entropy by attractors ${cells}`);
    }
  }
  console.log(`wrote ${join(flags.out, "fig7.json")} and ${join(flags.out, "fig7.html")} (${results.seconds} s)`);
}

runCommand(fileURLToPath(import.meta.url), main);
