// The paper's §5.3 experiment (Fig. 5): is a harder task's gradient more spread out? For each
// task of App. C (tasks/tasks.ts) and each seed: the task's difficulty is its online code length
// (fig5Mdl.ts: models of fig5Model.ts trained on growing prefixes of the training data), and a
// model trained on all of it gives the validation accuracy and the mean per-token gradient entropy
// at the embeddings (fig5Read.ts). Runs whose validation accuracy stays under the threshold are
// dropped from the comparison (kept in the results, marked). Writes fig5.json (the numbers) and
// fig5.html (the scatter) into --out.
//
//   npx tsx examples/paper/fig5.ts            # full: 9 tasks × 3 seeds (or one process per seed, see --help)
//   npx tsx examples/paper/fig5.ts --quick    # 1 seed, a smaller model, little data: a smoke run (tests)

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../../compiler/cli/load.ts";
import { writeFilesAtomically } from "../../compiler/cli/output.ts";
import { stringifyJson } from "../../compiler/cli/report.ts";
import { train } from "../../compiler/train/train.ts";
import { figureCommand, positiveInt, runCommand } from "./command.ts";
import { onlineCode } from "./fig5Mdl.ts";
import { renderFig5Page } from "./fig5Page.ts";
import { Fig5Modules, type Fig5Reader } from "./fig5Read.ts";
import { summarize } from "./fig5Stats.ts";
import { generate, TASKS, type Example } from "./tasks/tasks.ts";

const MODEL = fileURLToPath(new URL("./fig5Model.ts", import.meta.url));

export interface Fig5Options {
  /** fig5Model.ts's config: vocab, seq, d, heads, ffn, layers, classes. */
  readonly model: Readonly<Record<string, number>>;
  /** Training seeds; each gives every task its own data and initial weights. */
  readonly seeds: readonly number[];
  readonly train: number;
  readonly val: number;
  /** Block ends of the online code, as fractions of the training examples. */
  readonly blocks: readonly number[];
  readonly epochs: number;
  /** A model trained on a short prefix still takes at least this many steps. */
  readonly minSteps: number;
  readonly lr: number;
  readonly batch: number;
  /** Runs under this validation accuracy are dropped. */
  readonly threshold: number;
  /** Validation inputs whose entropy is read. */
  readonly entropyInputs: number;
}

export const FULL: Fig5Options = {
  model: { vocab: 20, seq: 10, d: 16, heads: 2, ffn: 64, layers: 2, classes: 36 },
  seeds: [1, 2, 3], train: 1600, val: 400, blocks: [1 / 8, 1 / 4, 1 / 2, 1], epochs: 8, minSteps: 100, lr: 0.005, batch: 16, threshold: 0.8, entropyInputs: 100,
};
export const QUICK: Fig5Options = {
  model: { vocab: 20, seq: 8, d: 8, heads: 2, ffn: 16, layers: 2, classes: 36 },
  seeds: [1], train: 240, val: 60, blocks: [1 / 4, 1 / 2, 1], epochs: 2, minSteps: 20, lr: 0.01, batch: 16, threshold: 0.8, entropyInputs: 20,
};

const records = (data: readonly Example[]) => data.map((ex) => ({ ids: ex.ids, label: ex.label }));

export async function runFig5(o: Fig5Options, log: (line: string) => void = () => {}) {
  const t0 = performance.now();
  const modules = await Fig5Modules.create(MODEL, o.model);
  const sizes = { vocab: o.model["vocab"]!, seq: o.model["seq"]! };
  const fit = async (data: readonly Example[], seed: number) => {
    const epochs = Math.max(o.epochs, Math.ceil((o.minSteps * o.batch) / data.length));
    const trained = await train({ model: MODEL, config: o.model, train: records(data), loss: { kind: "nll", label: "label", classes: modules.classes }, epochs, lr: o.lr, batch: o.batch, seed, warmup: 20 });
    return modules.reader(trained.params);
  };
  const accuracy = (r: Fig5Reader, data: readonly Example[]) => data.filter((ex) => r.correct(ex.ids, ex.label)).length / data.length;
  const runs = [];
  for (const [t, task] of TASKS.entries()) {
    for (const seed of o.seeds) {
      const data = generate(task, o.train, 1000 * seed + t, sizes);
      const val = generate(task, o.val, 1_000_000 + 1000 * seed + t, sizes);
      const code = await onlineCode(data.length, task.classes, o.blocks, async (prefix, start, end) => {
        const r = await fit(data.slice(0, prefix), seed);
        return data.slice(start, end).reduce((a, ex) => a + r.bits(ex.ids, ex.label), 0);
      });
      const reader = await fit(data, seed);
      const valAccuracy = accuracy(reader, val);
      const read = val.slice(0, o.entropyInputs);
      const meanEntropy = (r: Fig5Reader) => read.reduce((a, ex) => a + r.entropy(ex.ids, ex.label, ex.len), 0) / read.length;
      const entropy = meanEntropy(reader);
      // The same reading before training: what the architecture alone gives.
      const entropyAtInit = meanEntropy(modules.initial(seed));
      // How spread the trained model's attention is, to compare the gradient entropy with.
      const attentionEntropy = read.reduce((a, ex) => a + reader.attentionEntropy(ex.ids, ex.len), 0) / read.length;
      const kept = valAccuracy >= o.threshold;
      log(`${task.name} seed ${seed} (${((performance.now() - t0) / 1000).toFixed(0)} s): ${(code.bits / 1000).toFixed(2)} kbits (compression ${code.compression.toFixed(2)}), validation accuracy ${(100 * valAccuracy).toFixed(1)}%, entropy ${entropy.toFixed(3)} nats (untrained ${entropyAtInit.toFixed(3)}), attention entropy ${attentionEntropy.toFixed(3)}${kept ? "" : " — dropped"}`);
      runs.push({ task: task.name, classes: task.classes, seed, mdlBits: code.bits, uniformBits: code.uniformBits, compression: code.compression, blocks: code.blocks, valAccuracy, entropy, entropyAtInit, attentionEntropy, kept });
    }
  }
  return {
    experiment: "fig5",
    setup: { modelFile: "examples/paper/fig5Model.ts", ...o, entropy: "entropy semiring at embeddings, ⊕ over the embedding dimensions, of the correct class's logit; mean over the sequence's tokens and over validation inputs" },
    runs,
    summary: summarize(runs),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export type Fig5Results = Awaited<ReturnType<typeof runFig5>>;
export type Fig5Run = Fig5Results["runs"][number];

async function main() {
  const program = figureCommand("fig5", "The paper's §5.3 experiment (Fig. 5): gradient entropy against task difficulty (online-code MDL) over the App. C tasks.", "1 seed, a small model and little data (a smoke run, about a minute)")
    .option("--seeds <n>", "training seeds per task (full: 3)", positiveInt("--seeds"))
    .option("--seed <s>", "run this one training seed (e.g. seeds in parallel processes, then --merge)", positiveInt("--seed"))
    .option("--merge <fig5.json...>", "combine earlier runs' results (e.g. one per seed) and redraw the page, instead of running")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  nice -n 10 npx tsx examples/paper/fig5.ts --out results",
        "  npx tsx examples/paper/fig5.ts --quick --out /tmp/fig5",
        "  npx tsx examples/paper/fig5.ts --seed 1 --out s1 & npx tsx examples/paper/fig5.ts --seed 2 --out s2; wait",
        "  npx tsx examples/paper/fig5.ts --merge s1/fig5.json s2/fig5.json --out results",
      ].join("\n"),
    )
    .parse();
  const flags = program.opts<{ quick?: boolean; out: string; seeds?: number; seed?: number; merge?: string[] }>();
  if (flags.seeds && flags.seed) throw new CliError("--seeds N runs seeds 1…N, --seed S runs seed S alone: give one of them");
  const seeds = flags.seed ? [flags.seed] : flags.seeds ? Array.from({ length: flags.seeds }, (_, i) => i + 1) : undefined;
  const o = { ...(flags.quick ? QUICK : FULL), ...(seeds ? { seeds } : {}) };
  const results = flags.merge ? merge(flags.merge) : await runFig5(o, (line) => console.error(line));
  writeFilesAtomically(new Map([[join(flags.out, "fig5.json"), stringifyJson(results)], [join(flags.out, "fig5.html"), renderFig5Page(results)]]));
  for (const t of results.summary.tasks) {
    console.log(`${t.task.padEnd(29)} MDL ${(t.mdlBits / 1000).toFixed(2).padStart(6)} kbits  entropy ${t.entropy.toFixed(3)} nats (untrained ${t.entropyAtInit.toFixed(3)})  accuracy ${(100 * t.valAccuracy).toFixed(1).padStart(5)}%  kept ${t.kept}/${t.runs}`);
  }
  const s = results.summary;
  console.log(`Spearman ρ(entropy, MDL) over kept runs: all ${fmt(s.spearman.all)}, binary ${fmt(s.spearman.binary)} (${s.kept} of ${results.runs.length} runs kept)`);
  console.log(`Spearman ρ(entropy − untrained entropy, MDL): ${fmt(s.spearman.changeFromInit)}; BinCountOnes alone ρ(entropy, MDL): ${fmt(s.spearman.binCountOnes)}`);
  console.log(`Spearman ρ(entropy, attention entropy): ${fmt(s.spearman.entropyVsAttention)}`);
  console.log(`wrote ${join(flags.out, "fig5.json")} and ${join(flags.out, "fig5.html")} (${results.seconds} s)`);
}

/** Earlier runs' results as one: their runs (sorted by task, then seed) and the summary recomputed; the setups must agree but for the seeds. */
function merge(files: readonly string[]): Fig5Results {
  const parts = files.map((file) => {
    let r: Fig5Results;
    try {
      r = JSON.parse(readFileSync(file, "utf8")) as Fig5Results;
    } catch (e) {
      throw new CliError(`${file}: cannot read fig5 results (${(e as Error).message})`);
    }
    if (r.experiment !== "fig5" || !Array.isArray(r.runs)) throw new CliError(`${file}: not a fig5.json (no "experiment": "fig5" with its runs)`);
    return { file, r };
  });
  const first = parts[0]!;
  const setup = (r: Fig5Results) => JSON.stringify({ ...r.setup, seeds: [] });
  for (const { file, r } of parts.slice(1)) {
    if (setup(r) !== setup(first.r)) throw new CliError(`${file}: its setup differs from ${first.file}'s (only the seeds may differ)`);
  }
  const order = TASKS.map((t) => t.name);
  const runs = parts.flatMap((p) => p.r.runs).sort((a, b) => order.indexOf(a.task) - order.indexOf(b.task) || a.seed - b.seed);
  const seen = new Set<string>();
  for (const run of runs) {
    const key = `${run.task} seed ${run.seed}`;
    if (seen.has(key)) throw new CliError(`${files.join(", ")}: ${key} appears twice`);
    seen.add(key);
  }
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  return { ...first.r, setup: { ...first.r.setup, seeds }, runs, summary: summarize(runs), seconds: parts.reduce((a, p) => a + p.r.seconds, 0) };
}

const fmt = (x: number | null) => (x === null ? "n/a" : x.toFixed(2));

runCommand(fileURLToPath(import.meta.url), main);
