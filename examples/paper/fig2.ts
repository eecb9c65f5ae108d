// The paper's §5.1 experiment (Fig. 2): train the one-layer BERT-style classifier of
// firstTokenBert.ts on "does the first token appear again?" for several seeds, then read the
// max-product flow at the embeddings' branch point (skip, query, key, value) of every positive
// validation input under both semantics, and test each claim of the paper. Writes fig2.json (the
// numbers) and fig2.html (the figure) into --out.
//
//   npx tsx examples/paper/fig2.ts            # full: 5 seeds, 1000 positive validation inputs each
//   npx tsx examples/paper/fig2.ts --quick    # 1 seed, small data: a smoke run (tests)

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFilesAtomically } from "../../compiler/cli/output.ts";
import { stringifyJson } from "../../compiler/cli/report.ts";
import { train } from "../../compiler/train/train.ts";
import { figureCommand, positiveInt, runCommand } from "./command.ts";
import { makeExample, rng, type Example } from "../scripts/firstTokenTask.ts";
import { Fig2Reader, type InputReading } from "./fig2Read.ts";
import { renderFig2Page } from "./fig2Page.ts";
import { CLAIMS, explain, summarize } from "./fig2Stats.ts";

const MODEL = fileURLToPath(new URL("./firstTokenBert.ts", import.meta.url));
const VOCAB = 20, SEQ = 10;

export interface Fig2Options {
  readonly seeds: number;
  readonly train: number;
  readonly positives: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batch: number;
}

export const FULL: Fig2Options = { seeds: 5, train: 8000, positives: 1000, epochs: 4, lr: 0.003, batch: 32 };
export const QUICK: Fig2Options = { seeds: 1, train: 600, positives: 40, epochs: 1, lr: 0.003, batch: 32 };

/** Token 0 is padding in the paper's data: ids are drawn from 1..VOCAB−1. */
function dataset(seed: number, n: number): Example[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const ex = makeExample(rand, VOCAB - 1, SEQ);
    return { ...ex, ids: ex.ids.map((t) => t + 1) };
  });
}

/** The first `positives` positive inputs (and every negative met on the way) of a fresh stream. */
function validation(seed: number, positives: number): Example[] {
  const out: Example[] = [];
  const rand = rng(seed);
  for (let pos = 0; pos < positives; ) {
    const ex = makeExample(rand, VOCAB - 1, SEQ);
    out.push({ ...ex, ids: ex.ids.map((t) => t + 1) });
    if (ex.label === 1) pos++;
  }
  return out;
}

const records = (data: readonly Example[]) => data.map((ex) => ({ ids: ex.ids, label: ex.label }));

export async function runFig2(o: Fig2Options, log: (line: string) => void = () => {}) {
  const t0 = performance.now();
  const seeds = [];
  const readings: InputReading[] = [];
  for (let seed = 1; seed <= o.seeds; seed++) {
    const val = validation(10_000 + seed, o.positives);
    const trained = await train({
      model: MODEL,
      train: records(dataset(seed, o.train)),
      val: records(val),
      loss: { kind: "nll", label: "label", labelConfig: "target", classes: 2 },
      epochs: o.epochs,
      lr: o.lr,
      batch: o.batch,
      seed,
      warmup: 50,
      onProgress: (p) => {
        if (p.kind === "epoch") log(`seed ${seed} epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}, validation accuracy ${(100 * p.valAccuracy!).toFixed(1)}%`);
      },
    });
    const reader = await Fig2Reader.create(MODEL, trained.params);
    const mine = val.filter((ex) => ex.label === 1).map((ex) => reader.read(ex.ids, 1, ex.repeat));
    readings.push(...mine);
    const last = trained.history.at(-1)!;
    seeds.push({ seed, valAccuracy: last.valAccuracy!, valInputs: val.length, positives: mine.length, element: summarize(mine, "element").claims, paper: summarize(mine, "paper").claims });
  }
  return {
    experiment: "fig2",
    setup: { model: "examples/paper/firstTokenBert.ts", vocab: VOCAB, seq: SEQ, ...o, quantity: "logit of the correct class", read: "oplus at the embeddings (skip, query, key, value)" },
    claims: CLAIMS,
    seeds,
    element: summarize(readings, "element"),
    paper: summarize(readings, "paper"),
    explanation: explain(readings),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export type Fig2Results = Awaited<ReturnType<typeof runFig2>>;

async function main() {
  const program = figureCommand("fig2", "The paper's §5.1 experiment (Fig. 2): which branch carries each token's max-product flow, under both semantics.", "1 seed and small data (a smoke run, about a minute)")
    .option("--seeds <n>", "training seeds (full: 5)", positiveInt("--seeds"))
    .option("--positives <n>", "positive validation inputs read per seed (full: 1000)", positiveInt("--positives"))
    .addHelpText("after", "\nExamples:\n  npx tsx examples/paper/fig2.ts --out results/fig2\n  npx tsx examples/paper/fig2.ts --quick --out /tmp/fig2")
    .parse();
  const flags = program.opts<{ quick?: boolean; out: string; seeds?: number; positives?: number }>();
  const base = flags.quick ? QUICK : FULL;
  const o = { ...base, ...(flags.seeds ? { seeds: flags.seeds } : {}), ...(flags.positives ? { positives: flags.positives } : {}) };
  const results = await runFig2(o, (line) => console.error(line));
  writeFilesAtomically(new Map([[join(flags.out, "fig2.json"), stringifyJson(results)], [join(flags.out, "fig2.html"), renderFig2Page(results)]]));
  for (const semantics of ["element", "paper"] as const) {
    for (const [c, p] of Object.entries(results[semantics].claims)) {
      console.log(`${semantics.padEnd(7)} ${c.padEnd(18)} ${p.holds}/${p.n} = ${(100 * p.fraction).toFixed(1)}% [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}]`);
    }
  }
  console.log(`wrote ${join(flags.out, "fig2.json")} and ${join(flags.out, "fig2.html")} (${results.seconds} s)`);
}

runCommand(fileURLToPath(import.meta.url), main);
