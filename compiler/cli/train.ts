// `semic train`: Adam on the compiled gradient with respect to every param, from a JSON Lines
// dataset, writing safetensors. One line per epoch (loss, validation loss and accuracy); on a
// terminal, a status bar while an epoch runs.

import { renameSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { Option, type Command } from "commander";
import { loadTensorFile, writeSafetensors } from "../../runtime/weights.ts";
import { readJsonLines } from "../train/records.ts";
import { train, type Loss, type Progress } from "../train/train.ts";
import { CliError, parseConfig, parsePositiveInt } from "./load.ts";
import { Status } from "./output.ts";

interface TrainCliOptions {
  dataset: string;
  val?: string;
  loss: "nll" | "output";
  label: string;
  labelConfig?: string;
  classes?: string;
  epochs?: string;
  lr?: string;
  batch?: string;
  seed?: string;
  warmup?: string;
  shuffle: boolean;
  init?: string;
  config?: string[];
  out: string;
}

function parseNumber(option: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || value.trim() === "") throw new CliError(`${option}: expected a number ≥ ${min}, got "${value}"`);
  return n;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function progressLine(p: Progress, seconds: number): string {
  const val = p.valLoss === undefined ? "" : `  val loss ${p.valLoss.toFixed(4)}${p.valAccuracy === undefined ? "" : `  val acc ${percent(p.valAccuracy)}`}`;
  return `epoch ${String(p.epoch).padStart(String(p.epochs).length)}/${p.epochs}  loss ${p.loss.toFixed(4)}${val}  (${seconds.toFixed(1)} s)`;
}

function bar(p: Progress): string {
  const width = 24;
  const done = Math.round((width * p.step) / p.steps);
  return `semic: epoch ${p.epoch}/${p.epochs} [${"#".repeat(done)}${".".repeat(width - done)}] ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}`;
}

async function trainCommand(file: string, o: TrainCliOptions): Promise<void> {
  const status = new Status();
  const loss: Loss =
    o.loss === "output"
      ? { kind: "output" }
      : { kind: "nll", label: o.label, ...(o.labelConfig ? { labelConfig: o.labelConfig } : {}), ...(o.classes ? { classes: parsePositiveInt("--classes", o.classes, 2) } : {}) };
  if (!o.out.toLowerCase().endsWith(".safetensors")) throw new CliError(`-o ${o.out}: the weights are written as safetensors: name the file *.safetensors`);
  const init = o.init ? Object.fromEntries([...loadTensorFile(o.init)].map(([k, t]) => [k, t.data])) : undefined;
  const t0 = performance.now();
  status.show(`semic: compiling ${file}…`);
  const rows = { train: readJsonLines(o.dataset), val: o.val ? readJsonLines(o.val) : [] };
  const trained = await train({
    model: file,
    config: parseConfig(o.config),
    train: rows.train.map((r) => r.value),
    ...(o.val ? { val: rows.val.map((r) => r.value) } : {}),
    where: (set, i) => rows[set][i]!.where,
    loss,
    epochs: parsePositiveInt("--epochs", o.epochs, 10),
    lr: parseNumber("--lr", o.lr, 0.01, Number.MIN_VALUE),
    batch: parsePositiveInt("--batch", o.batch, 32),
    seed: parseNumber("--seed", o.seed, 1),
    warmup: parseNumber("--warmup", o.warmup, 0),
    shuffle: o.shuffle,
    ...(init ? { init } : {}),
    onProgress: (p) => {
      if (p.kind === "batch") return status.show(bar(p));
      status.clear();
      console.log(progressLine(p, (performance.now() - t0) / 1000));
    },
  });
  const last = trained.history.at(-1)!;
  const tensors = Object.fromEntries(Object.entries(trained.params).map(([k, p]) => [k, { shape: trained.shapes[k]!, data: Float32Array.from(p) }]));
  const metadata: Record<string, string> = { trainer: "semic train", epochs: String(last.epochs), loss: String(last.loss) };
  if (last.valAccuracy !== undefined) metadata["val_accuracy"] = String(last.valAccuracy);
  // Written beside the target, then renamed: a failed run never leaves half a file.
  const tmp = join(dirname(o.out), `.${basename(o.out)}.${process.pid}.tmp`);
  writeFileSync(tmp, writeSafetensors(tensors, metadata));
  renameSync(tmp, o.out);
  console.log(`wrote ${o.out} (${Object.keys(tensors).length} tensors)`);
}

export function addTrainCommand(program: Command): void {
  program
    .command("train")
    .description("train the model's params with Adam on the compiled gradient; write them as safetensors")
    .argument("<model>", "model file (.ts DSL, or .semic/.ir textual IR)")
    .requiredOption("--dataset <file>", "training records, JSON Lines: the model's inputs by name, plus e.g. a label")
    .requiredOption("-o, --out <file>", "where to write the weights (.safetensors)")
    .addOption(
      new Option("--loss <loss>", "nll: the output is log p(label | inputs), loss = −output; output: the output is the loss").choices(["nll", "output"]).makeOptionMandatory(),
    )
    .option("--label <name>", "nll: the label — an integer scalar input of the model, or (with --label-config) a record key", "label")
    .option("--label-config <key>", "nll: the model config key that selects the class the output scores (one module per class is compiled)")
    .option("--classes <n>", "nll: number of classes, for accuracy (default: largest label in the data + 1)")
    .option("--val <file>", "validation records (JSON Lines): loss and accuracy after each epoch")
    .option("--epochs <n>", "passes over the training records", "10")
    .option("--lr <rate>", "Adam learning rate", "0.01")
    .option("--batch <n>", "records per step (gradients averaged)", "32")
    .option("--seed <n>", "seed of the initial weights and of the batch order", "1")
    .option("--warmup <steps>", "linear learning-rate warm-up over this many steps", "0")
    .option("--no-shuffle", "keep the records in file order (default: reshuffled each epoch)")
    .option("--init <file>", "starting weights (.json or .safetensors) instead of the seeded initialisation")
    .option("--config <key=value...>", "override the model's config (DSL models only)")
    .addHelpText(
      "after",
      `
The model's scalar output is what --loss reads. For a classifier or a masked LM, return the
log-likelihood of the correct class, e.g. pick(logSoftmax(logits), ...) at a label given either
as an integer input of the model (input("label", [], "i32"), gathered from the log-probabilities)
or as a config value (--label-config target compiles one module per class; the record key named
by --label holds the class). Accuracy: the labelled class scores highest among all classes.
Initialisation (seeded): gather tables N(0,1), layer-norm gains 1, vectors 0, matrices N(0,1/fan_in).
Deterministic for a seed on one machine.

Examples:
  semic train model.ts --dataset train.jsonl --val val.jsonl --loss nll -o model.safetensors
  semic train examples/transformer.ts --dataset train.jsonl --loss nll --label-config target --epochs 1 --warmup 20 -o t.safetensors`,
    )
    .action((file: string, o: TrainCliOptions) => trainCommand(file, o));
}
