// The paper's App. B.1 sanity checks (Fig. 6):
//   (a) path entropy vs sentence length, on fig4's masked LM: the mean per-token entropy at the
//       input (layer-0 attention input) of sentences of every length the corpus produces;
//       under both semantics (entropy has no tensor-level reading: under the paper semantics it
//       is the entropy of the graph with the library's composites decomposed);
//   (b) MLPs of growing hidden size (fig6Mlp.ts) trained with compiler/train on 4 uniform random
//       features labelled by whether the first exceeds 0.5; the path entropy from the input
//       features (mean over the 4) to the logit of the correct class, over validation inputs, for
//       several seeds (the MLP has no composite op: both semantics compile the same graph).
// The paper's claim for both: entropy grows (with length; with hidden size). Writes fig6.json and
// fig6.html.
//
//   npx tsx examples/paper/fig6.ts            # full
//   npx tsx examples/paper/fig6.ts --quick    # a smoke run (tests)

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { writeFilesAtomically } from "../../compiler/cli/output.ts";
import { stringifyJson } from "../../compiler/cli/report.ts";
import { figureCommand, positiveInt, runCommand } from "./command.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import type { SemanticsName } from "../../compiler/semantics.ts";
import { rng } from "../../compiler/train/random.ts";
import { train } from "../../compiler/train/train.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { generateCorpus, type Sentence } from "./agreement/corpus.ts";
import { renderPlotPage, type Draw } from "./plotPage.ts";
import { spearmanTest } from "./rank.ts";
import { FULL_LM, QUICK_LM, trainedLm, type LmSetup } from "./agreement/setup.ts";

const MLP = fileURLToPath(new URL("./fig6Mlp.ts", import.meta.url));
const POOL_SEED = 29;

export interface Fig6Options {
  readonly lm: LmSetup;
  /** (a): sentences per length, and at most this many lengths (spread over the range; all when unset). */
  readonly perLength: number;
  readonly lengths?: number;
  /** (b): hidden sizes, seeds, training and validation inputs per seed. */
  readonly hidden: readonly number[];
  readonly seeds: number;
  readonly train: number;
  readonly val: number;
  readonly epochs: number;
  readonly cache?: string;
}

export const FULL: Fig6Options = { lm: FULL_LM, perLength: 10, hidden: [2, 4, 8, 16, 32, 64, 128, 256], seeds: 5, train: 2000, val: 200, epochs: 10 };
export const QUICK: Fig6Options = { lm: QUICK_LM, perLength: 3, lengths: 3, hidden: [2, 16, 128], seeds: 1, train: 300, val: 40, epochs: 2 };

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** (a) Sentences grouped by length: `perLength` of each (lengths with fewer are left out). */
function byLength(o: Fig6Options): Sentence[][] {
  const pool = generateCorpus(POOL_SEED, 4000).sentences;
  const groups = new Map<number, Sentence[]>();
  for (const s of pool) groups.set(s.ids.length, [...(groups.get(s.ids.length) ?? []), s]);
  let full = [...groups].filter(([, g]) => g.length >= o.perLength).sort((a, b) => a[0] - b[0]);
  if (o.lengths && full.length > o.lengths) {
    const step = (full.length - 1) / (o.lengths - 1);
    full = Array.from({ length: o.lengths }, (_, i) => full[Math.round(i * step)]!);
  }
  return full.map(([, g]) => g.slice(0, o.perLength));
}

async function lengthPart(o: Fig6Options, log: (line: string) => void) {
  const lm = await trainedLm(o.lm, log, o.cache);
  const groups = byLength(o);
  const read = async (semantics: SemanticsName) => {
    const points: { tokens: number; attractors: number; meanEntropy: number }[] = [];
    for (const group of groups) {
      for (const s of group) points.push({ tokens: s.ids.length, attractors: s.attractors.length, meanEntropy: mean(await lm.reader.entropy(s, semantics)) });
      log(`(a) ${semantics}, ${group[0]!.ids.length} tokens: mean entropy ${mean(points.slice(-group.length).map((p) => p.meanEntropy)).toFixed(4)}`);
    }
    const lengths = [...new Set(points.map((p) => p.tokens))];
    return {
      perLength: lengths.map((t) => ({ tokens: t, n: points.filter((p) => p.tokens === t).length, meanEntropy: mean(points.filter((p) => p.tokens === t).map((p) => p.meanEntropy)) })),
      spearman: spearmanTest(points.map((p) => p.tokens), points.map((p) => p.meanEntropy)),
      points,
    };
  };
  return { heldOutAccuracy: lm.accuracy, element: await read("element"), paper: await read("paper") };
}

/** 4 uniform features; label 1 iff the first exceeds 0.5. */
function features(seed: number, n: number) {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const x = [rand(), rand(), rand(), rand()];
    return { x, label: x[0]! > 0.5 ? 1 : 0 };
  });
}

async function mlpPart(o: Fig6Options, log: (line: string) => void) {
  const runs: { hidden: number; seed: number; valAccuracy: number; meanEntropy: number }[] = [];
  for (const hidden of o.hidden) {
    // One entropy module per class: the logit of the correct class is the output.
    const modules = [];
    for (const target of [0, 1]) {
      const { graph } = loadModel(MLP, { config: { hidden, target, logit: true } });
      modules.push(await importModule(compileGraph(graph, { semirings: [semirings.entropy], wrt: ["x"], precision: "f64" }).js.js));
    }
    for (let seed = 1; seed <= o.seeds; seed++) {
      const val = features(1000 + seed, o.val);
      const trained = await train({
        model: MLP, config: { hidden }, train: features(seed, o.train), val,
        loss: { kind: "nll", label: "label", labelConfig: "target", classes: 2 },
        epochs: o.epochs, lr: 0.01, batch: 32, seed,
      });
      const models = modules.map((m) => m.createModel(trained.params));
      const entropy = mean(val.map((v) => mean(Array.from(models[v.label]!.run({ x: v.x }, { topPath: false }).results["entropy"]!.wrt["x"]!.value))));
      const valAccuracy = trained.history.at(-1)!.valAccuracy!;
      log(`(b) hidden ${hidden}, seed ${seed}: validation accuracy ${(100 * valAccuracy).toFixed(1)}%, mean input entropy ${entropy.toFixed(4)}`);
      runs.push({ hidden, seed, valAccuracy, meanEntropy: entropy });
    }
  }
  return {
    perHidden: o.hidden.map((h) => {
      const mine = runs.filter((r) => r.hidden === h);
      return { hidden: h, meanEntropy: mean(mine.map((r) => r.meanEntropy)), valAccuracy: mean(mine.map((r) => r.valAccuracy)) };
    }),
    spearman: spearmanTest(runs.map((r) => r.hidden), runs.map((r) => r.meanEntropy)),
    runs,
  };
}

export async function runFig6(o: Fig6Options, log: (line: string) => void = () => {}) {
  const t0 = performance.now();
  const length = await lengthPart(o, log);
  const mlp = await mlpPart(o, log);
  const { cache: _cache, ...setup } = o;
  return {
    experiment: "fig6",
    setup: { ...setup, lmModel: "examples/paper/agreement/maskedLm.ts", mlpModel: "examples/paper/fig6Mlp.ts", read: "mean path entropy (nats) per input token (a: layer-0 attention input, units pooled by ⊕) or per input feature (b)" },
    length,
    mlp,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export type Fig6Results = Awaited<ReturnType<typeof runFig6>>;

interface PageData {
  readonly length: { semantics: string; tokens: number; meanEntropy: number }[];
  readonly mlp: { hidden: number; seed: number; meanEntropy: number }[];
  readonly facts: string;
}

const draw: Draw<PageData> = (data, Plot, root) => {
  const h = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  root.append(h("h1", "Fig. 6 (App. B.1): entropy vs sentence length and vs MLP hidden size"), h("p", data.facts));
  root.append(h("h2", "(a) masked LM: mean per-token input entropy vs sentence length"));
  root.append(
    Plot.plot({
      width: 900, height: 360, x: { label: "tokens" }, y: { label: "mean per-token entropy (nats)", grid: true }, color: { legend: true },
      marks: [
        Plot.dot(data.length, { x: "tokens", y: "meanEntropy", r: 2, fillOpacity: 0.4, fill: "semantics" }),
        Plot.lineY(data.length, Plot.groupX({ y: "mean" }, { x: "tokens", y: "meanEntropy", stroke: "semantics" })),
      ],
    }),
  );
  root.append(h("h2", "(b) MLP: mean input-feature entropy vs hidden size (one dot per seed)"));
  root.append(
    Plot.plot({
      width: 900, height: 360, x: { label: "hidden units", type: "log", base: 2 }, y: { label: "mean entropy (nats)", grid: true },
      marks: [Plot.dot(data.mlp, { x: "hidden", y: "meanEntropy", fillOpacity: 0.5 }), Plot.lineY(data.mlp, Plot.groupX({ y: "mean" }, { x: "hidden", y: "meanEntropy" }))],
    }),
  );
};

export function renderFig6Page(r: Fig6Results): string {
  const rho = (s: { rho: number; p: number }) => `ρ ${s.rho.toFixed(3)} (p ${s.p.toFixed(3)})`;
  const facts = `(a) ${r.length.element.points.length} sentences, masked LM held-out agreement accuracy ${(100 * r.length.heldOutAccuracy).toFixed(1)}%: Spearman ${rho(r.length.element.spearman)} (element), ${rho(r.length.paper.spearman)} (paper). (b) ${r.setup.seeds} seed(s) per hidden size: Spearman ${rho(r.mlp.spearman)}. ${r.seconds} s.`;
  const length = (["element", "paper"] as const).flatMap((semantics) => r.length[semantics].points.map((p) => ({ semantics, tokens: p.tokens, meanEntropy: p.meanEntropy })));
  return renderPlotPage("semic: Fig. 6 (App. B.1)", { length, mlp: r.mlp.runs, facts }, draw);
}

async function main() {
  const program = figureCommand("fig6", "The paper's App. B.1 (Fig. 6): path entropy vs sentence length (fig4's masked LM) and vs MLP hidden size (trained here).", "a small model, 3 lengths, 3 hidden sizes and 1 seed (a smoke run, about a minute)")
    .option("--seeds <n>", "MLP training seeds per hidden size (full: 5)", positiveInt("--seeds"))
    .option("--cache <dir>", "keep the trained masked LM's weights here and reuse them (fig4 and fig7 train the same model)")
    .addHelpText("after", "\nExamples:\n  npx tsx examples/paper/fig6.ts --out results/fig6 --cache /tmp/semic-lm\n  npx tsx examples/paper/fig6.ts --quick --out /tmp/fig6")
    .parse();
  const flags = program.opts<{ quick?: boolean; out: string; seeds?: number; cache?: string }>();
  const o: Fig6Options = { ...(flags.quick ? QUICK : FULL), ...(flags.seeds ? { seeds: flags.seeds } : {}), ...(flags.cache ? { cache: flags.cache } : {}) };
  const r = await runFig6(o, (line) => console.error(line));
  writeFilesAtomically(new Map([[join(flags.out, "fig6.json"), stringifyJson(r)], [join(flags.out, "fig6.html"), renderFig6Page(r)]]));
  const rho = (s: { rho: number; p: number; n: number }) => `rho ${s.rho.toFixed(3)}  p ${s.p.toFixed(3)}  n ${s.n}`;
  for (const semantics of ["element", "paper"] as const) {
    const a = r.length[semantics];
    console.log(`(a) ${semantics.padEnd(7)} entropy vs length  ${rho(a.spearman)}  ${a.perLength.map((p) => `${p.tokens}: ${p.meanEntropy.toFixed(3)}`).join(", ")}`);
  }
  console.log(`(b) entropy vs hidden  ${rho(r.mlp.spearman)}  ${r.mlp.perHidden.map((p) => `${p.hidden}: ${p.meanEntropy.toFixed(3)} (acc ${(100 * p.valAccuracy).toFixed(1)}%)`).join(", ")}`);
  console.log(`wrote ${join(flags.out, "fig6.json")} and ${join(flags.out, "fig6.html")} (${r.seconds} s)`);
}

runCommand(fileURLToPath(import.meta.url), main);
