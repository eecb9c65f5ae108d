// The paper's §5.2 experiment (Fig. 4), on a stand-in: a small BERT-style masked LM trained here
// on a generated agreement corpus (agreement/), or a Hugging Face BERT checkpoint a user supplies.
// Per layer, the top path's branch (skip, query, key, value) at the attention input for the
// subject, the attractors and all tokens, with the paper's quantity logit(correct) − logit(wrong)
// at [MASK], under both semantics. Writes fig4.json (the numbers) and fig4.html (the figure).
//
//   npx tsx examples/paper/fig4.ts                          # full: train, read 1000 sentences
//   npx tsx examples/paper/fig4.ts --quick                  # a smoke run (tests)
//   npx tsx examples/paper/fig4.ts --checkpoint DIR         # a BertForMaskedLM directory

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFilesAtomically } from "../../compiler/cli/output.ts";
import { CliError } from "../../compiler/cli/load.ts";
import { stringifyJson } from "../../compiler/cli/report.ts";
import { figureCommand, positiveInt, runCommand } from "./command.ts";
import { checkpointSource } from "./agreement/checkpoint.ts";
import { AgreementReader } from "./agreement/read.ts";
import { FULL_LM, QUICK_LM, readSentences, trainedLm, type LmSetup } from "./agreement/setup.ts";
import { renderFig4Page } from "./fig4Page.ts";
import { CLAIMS, explain, summarize, type Read } from "./fig4Stats.ts";

export interface Fig4Options {
  readonly lm: LmSetup;
  /** Sentences read (held out from training). */
  readonly sentences: number;
  /** Read only sentences of this many distinct lengths (each length compiles one module). */
  readonly lengths?: number;
  readonly checkpoint?: string;
  /** Keep (and reuse) the trained masked LM's weights in this folder. */
  readonly cache?: string;
}

export const FULL: Fig4Options = { lm: FULL_LM, sentences: 1000 };
export const QUICK: Fig4Options = { lm: QUICK_LM, sentences: 24, lengths: 2 };

export async function runFig4(o: Fig4Options, log: (line: string) => void = () => {}) {
  const t0 = performance.now();
  let reader: AgreementReader, model;
  let sentences = readSentences(o.sentences, o.lengths);
  if (o.checkpoint) {
    const source = checkpointSource(o.checkpoint);
    const known = sentences.filter((s) => source.idsOf(s));
    log(`checkpoint ${o.checkpoint}: ${source.layers} layers; ${known.length} of ${sentences.length} sentences have every word piece in its vocabulary`);
    sentences = known;
    reader = new AgreementReader(source);
    model = { checkpoint: o.checkpoint, layers: source.layers };
  } else {
    const lm = await trainedLm(o.lm, log, o.cache);
    reader = lm.reader;
    model = { model: "examples/paper/agreement/maskedLm.ts", ...o.lm, heldOutAccuracy: lm.accuracy, trainLoss: lm.loss, corpus: lm.corpus, trainSeconds: Math.round(lm.seconds) };
  }
  const reads: Read[] = [];
  for (const [i, sentence] of sentences.entries()) {
    reads.push({ sentence, reading: await reader.read(sentence) });
    if ((i + 1) % 100 === 0) log(`read ${i + 1}/${sentences.length} sentences (${reader.compiled} modules compiled)`);
  }
  if (reads.length === 0) throw new CliError("no sentence to read: every sentence has a word piece the checkpoint's vocabulary lacks");
  const agree = reads.filter((r) => r.reading.margin > 0).length;
  return {
    experiment: "fig4",
    setup: {
      ...model,
      sentences: reads.length,
      lengths: [...new Set(reads.map((r) => r.sentence.ids.length))].sort((a, b) => a - b),
      quantity: "logit(correct form) − logit(wrong form) at [MASK]",
      read: "oplus per token at each layer's attention input (skip, query, key, value)",
    },
    readAccuracy: agree / reads.length,
    claims: CLAIMS,
    element: summarize(reads, "element"),
    paper: summarize(reads, "paper"),
    explanation: explain(reads),
    examples: reads.slice(0, 3).map(({ sentence, reading }) => ({ tokens: sentence.tokens, subject: sentence.subject, attractors: sentence.attractors, margin: reading.margin, element: reading.element.map((l) => l.winner), paper: reading.paper.map((l) => l.winner) })),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export type Fig4Results = Awaited<ReturnType<typeof runFig4>>;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function main() {
  const program = figureCommand("fig4", "The paper's §5.2 experiment (Fig. 4) on a generated agreement corpus: per layer, which branch carries the subject's, the attractors' and all tokens' top path, under both semantics.", "a small model and 24 sentences (a smoke run, under a minute)")
    .option("--sentences <n>", "held-out sentences read (full: 1000)", positiveInt("--sentences"))
    .option("--cache <dir>", "keep the trained masked LM's weights here and reuse them (fig6 and fig7 train the same model)")
    .option("--checkpoint <dir>", "read a Hugging Face BertForMaskedLM directory (config.json, model.safetensors, vocab.txt or tokenizer.json) instead of training")
    .addHelpText("after", "\nExamples:\n  npx tsx examples/paper/fig4.ts --out results/fig4\n  npx tsx examples/paper/fig4.ts --quick --out /tmp/fig4\n  npx tsx examples/paper/fig4.ts --checkpoint ~/bert-base-uncased --sentences 50")
    .parse();
  const flags = program.opts<{ quick?: boolean; out: string; sentences?: number; checkpoint?: string; cache?: string }>();
  const base = flags.quick ? QUICK : FULL;
  const o: Fig4Options = { ...base, ...(flags.sentences ? { sentences: flags.sentences } : {}), ...(flags.checkpoint ? { checkpoint: flags.checkpoint } : {}), ...(flags.cache ? { cache: flags.cache } : {}) };
  const results = await runFig4(o, (line) => console.error(line));
  writeFilesAtomically(new Map([[join(flags.out, "fig4.json"), stringifyJson(results)], [join(flags.out, "fig4.html"), renderFig4Page(results)]]));
  console.log(`agreement accuracy on the ${results.setup.sentences} sentences read: ${pct(results.readAccuracy)}`);
  for (const semantics of ["element", "paper"] as const) {
    for (const [c, p] of Object.entries(results[semantics].claims)) {
      console.log(`${semantics.padEnd(7)} ${c.padEnd(23)} ${p.holds}/${p.n} = ${pct(p.fraction)} [${pct(p.low)}, ${pct(p.high)}]`);
    }
    results[semantics].layers.forEach((l, i) => {
      const share = (g: "subject" | "all") => Object.entries(l.winShare[g]).map(([b, x]) => `${b} ${pct(x)}`).join(", ");
      console.log(`${semantics.padEnd(7)} layer ${i}: subject ${share("subject")} | all ${share("all")}`);
    });
  }
  console.log(`wrote ${join(flags.out, "fig4.json")} and ${join(flags.out, "fig4.html")} (${results.seconds} s)`);
}

runCommand(fileURLToPath(import.meta.url), main);
