// Training as a compiler feature: Adam on the compiled sum-product gradient with respect to every
// param. The model's scalar output is what the loss reads:
//   nll     the output is log p(label | inputs); loss = −output. The label is either a model input
//           (an integer scalar, read from the record like any input) or a model config key (one
//           module per class is compiled, e.g. examples/transformer.ts's `target`). Accuracy: the
//           label scores highest among all classes.
//   output  loss = the output itself (a model that returns its own loss).
// Deterministic for a seed on one machine: seeded initialisation and batch order, sequential sums.

import { compileGraph, importModule, type GeneratedModel } from "../compile.ts";
import type { ConfigOverrides } from "../frontend/index.ts";
import type { Graph } from "../../ir/graph.ts";
import { opRules } from "../../ir/ops/index.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { sizeOf } from "../../ir/types.ts";
import type { ExpectedTensor } from "../../runtime/weights.ts";
import { CliError, loadGraph } from "../cli/load.ts";
import { Adam } from "./adam.ts";
import { gaussian, rng, shuffle } from "./random.ts";
import { bindRecords, labelOf, type TrainRecord } from "./records.ts";

export type Loss =
  | { readonly kind: "nll"; readonly label: string; readonly labelConfig?: string; readonly classes?: number }
  | { readonly kind: "output" };

export interface TrainOptions {
  /** Model file (.ts DSL or textual IR) and its config overrides. */
  readonly model: string;
  readonly config?: ConfigOverrides;
  /** Records (the model's inputs by name, plus e.g. a label), as one line of JSON Lines holds them. */
  readonly train: readonly Record<string, unknown>[];
  readonly val?: readonly Record<string, unknown>[];
  /** Where record i of a set came from, for messages (default "train record 3"). */
  readonly where?: (set: "train" | "val", i: number) => string;
  readonly loss: Loss;
  readonly epochs?: number;
  readonly lr?: number;
  readonly batch?: number;
  readonly seed?: number;
  /** Linear learning-rate warm-up over this many steps (0: none). */
  readonly warmup?: number;
  /** Shuffle the training records each epoch (default true); false keeps file order. */
  readonly shuffle?: boolean;
  /** Starting weights by param name (default: seeded initialisation, see initParams). */
  readonly init?: Readonly<Record<string, ArrayLike<number>>>;
  readonly onProgress?: (p: Progress) => void;
}

export interface Progress {
  readonly kind: "batch" | "epoch";
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly steps: number;
  /** Mean training loss over the epoch so far. */
  readonly loss: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
}

export interface Trained {
  readonly params: Record<string, Float64Array>;
  readonly shapes: Record<string, number[]>;
  readonly history: readonly Progress[];
}

const paramNodes = (g: Graph) => g.nodes.filter((n) => opRules[n.op].role === "param");

/**
 * Seeded initial weights, by how each param is used: a gather table (embeddings) N(0, 1); a layer
 * norm's gain 1 and bias 0; other vectors 0; matrices N(0, 1/fan_in), fan_in the axis a linear or
 * matmul contracts (the last axis otherwise).
 */
export function initParams(g: Graph, seed: number): Record<string, Float64Array> {
  const rand = rng(seed);
  const out: Record<string, Float64Array> = {};
  for (const p of paramNodes(g)) {
    const shape = p.type.shape;
    const use = g.nodes.find((n) => n.inputs.includes(p.id));
    const slot = use ? use.inputs.indexOf(p.id) : -1;
    const size = sizeOf(shape);
    let fill: () => number;
    if (use?.op === "gather" && slot === 0) fill = () => gaussian(rand);
    else if (use?.op === "layer_norm" && slot === 1) fill = () => 1;
    else if (shape.length <= 1) fill = () => 0;
    else {
      const fanIn = use?.op === "matmul" && slot === 1 ? shape[shape.length - 2]! : shape[shape.length - 1]!;
      const std = 1 / Math.sqrt(fanIn);
      fill = () => std * gaussian(rand);
    }
    out[String(p.attrs["name"])] = Float64Array.from({ length: size }, fill);
  }
  return out;
}

function expectedInputs(g: Graph): ExpectedTensor[] {
  return g.nodes
    .filter((n) => opRules[n.op].role === "input")
    .map((n) => ({ name: String(n.attrs["name"]), shape: n.type.shape, dtype: n.type.dtype === "i32" ? "i32" : "f32", kind: "input" }));
}

const positive = (what: string, v: number, integer = true) => {
  if (!(v > 0) || (integer && !Number.isInteger(v))) throw new CliError(`${what} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
  return v;
};

/** The compiled models and how a record maps to one of them and to its class. */
async function prepareModels(o: TrainOptions) {
  const config = o.config ?? {};
  const load = async (extra: ConfigOverrides) => (await loadGraph(o.model, { config: { ...config, ...extra }, expand: [] })).graph;
  const base = await load({});
  const shapes = Object.fromEntries(paramNodes(base).map((n) => [String(n.attrs["name"]), [...n.type.shape]]));
  if (Object.keys(shapes).length === 0) throw new CliError(`${o.model}: the model has no param() to train`);
  const expected = expectedInputs(base);
  const where = o.where ?? ((set, i) => `${set} record ${i + 1}`);
  const train = bindRecords(o.train.map((value, i) => ({ where: where("train", i), value })), expected);
  const val = o.val ? bindRecords(o.val.map((value, i) => ({ where: where("val", i), value })), expected) : [];
  const all = [...train, ...val];

  const loss = o.loss;
  let graphs = [base];
  let classOf: ((r: TrainRecord) => number) | undefined;
  let classes = 0;
  if (loss.kind === "nll" && loss.labelConfig) {
    const key = loss.label;
    classes = loss.classes ?? Math.max(...all.map((r) => labelOf(r, key))) + 1;
    classOf = (r) => labelOf(r, key, classes);
    graphs = [];
    for (let c = 0; c < classes; c++) graphs.push(await load({ [loss.labelConfig]: c }));
  } else if (loss.kind === "nll") {
    const label = expected.find((e) => e.name === loss.label);
    if (!label || label.dtype !== "i32" || sizeOf(label.shape) !== 1) {
      const inputs = expected.map((e) => `${e.name} ${e.dtype}[${e.shape.join(",")}]`).join(", ");
      throw new CliError(
        `${o.model}: --loss nll reads the label "${loss.label}" as an integer scalar input of the model (inputs: ${inputs}); use --label NAME, or --label-config KEY when a config value selects the class`,
      );
    }
    classOf = (r) => {
      const c = r.inputs[loss.label]![0]!;
      if (loss.classes !== undefined && c >= loss.classes) throw new CliError(`${r.where}: "${loss.label}" is ${c}, but there are ${loss.classes} classes`);
      return c;
    };
    classes = loss.classes ?? Math.max(...all.map(classOf)) + 1;
  }
  if (classOf && classes < 2) throw new CliError(`the data holds a single class (0): accuracy needs at least 2 (say --classes N)`);
  const wrt = Object.keys(shapes);
  const modules = [];
  for (const g of graphs) modules.push(await importModule(compileGraph(g, { semirings: [semirings.sumprod], wrt, precision: "f64" }).js.js));
  return { base, shapes, train, val, modules, classOf, classes };
}

/** Trains the model; returns the final weights (float64) and the per-epoch history. */
export async function train(o: TrainOptions): Promise<Trained> {
  const epochs = positive("--epochs", o.epochs ?? 10);
  const lr = positive("--lr", o.lr ?? 0.01, false);
  const batchSize = positive("--batch", o.batch ?? 32);
  const seed = o.seed ?? 1;
  const warmup = o.warmup ?? 0;
  const { base, shapes, train: records, val, modules, classOf, classes } = await prepareModels(o);
  const params = o.init ? initFrom(o.init, shapes) : initParams(base, seed);
  const sign = o.loss.kind === "nll" ? -1 : 1; // loss = −output (nll) or output
  const label = o.loss.kind === "nll" && !o.loss.labelConfig ? o.loss.label : undefined;
  const pick = (models: GeneratedModel[], r: TrainRecord) => models[o.loss.kind === "nll" && o.loss.labelConfig ? classOf!(r) : 0]!;

  const adam = new Adam();
  const order = rng(seed ^ 0x5eed);
  const steps = Math.ceil(records.length / batchSize);
  const history: Progress[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const data = o.shuffle === false ? [...records] : shuffle([...records], order);
    let total = 0;
    for (let b = 0; b < steps; b++) {
      const batch = data.slice(b * batchSize, (b + 1) * batchSize);
      const models = modules.map((m) => m.createModel(params));
      const grads = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new Float64Array(p.length)]));
      for (const r of batch) {
        const { output, results } = pick(models, r).run(r.inputs, { topPath: false });
        if (!Number.isFinite(output)) throw new CliError(`${r.where}: the model's output is ${output} at epoch ${epoch}, step ${b + 1}: training diverged (try a smaller --lr)`);
        total += sign * output;
        for (const [k, t] of Object.entries(results["sumprod"]!.wrt)) {
          const g = grads[k]!;
          for (let i = 0; i < g.length; i++) g[i]! += (sign * t.value[i]!) / batch.length;
        }
      }
      adam.step(params, grads, warmup > 0 ? lr * Math.min(1, (step + 1) / warmup) : lr);
      step++;
      o.onProgress?.({ kind: "batch", epoch, epochs, step: b + 1, steps, loss: total / Math.min(data.length, (b + 1) * batchSize) });
    }
    const evaluation = val.length > 0 ? evaluate(modules.map((m) => m.createModel(params)), val, sign, pick, classOf, classes, label) : {};
    const p: Progress = { kind: "epoch", epoch, epochs, step: steps, steps, loss: total / data.length, ...evaluation };
    history.push(p);
    o.onProgress?.(p);
  }
  return { params, shapes, history };
}

/** Mean loss and (with classes) accuracy: the record's class scores highest of all classes. */
function evaluate(
  models: GeneratedModel[],
  val: readonly TrainRecord[],
  sign: number,
  pick: (models: GeneratedModel[], r: TrainRecord) => GeneratedModel,
  classOf: ((r: TrainRecord) => number) | undefined,
  classes: number,
  label: string | undefined,
): { valLoss: number; valAccuracy?: number } {
  let loss = 0, right = 0;
  for (const r of val) {
    loss += sign * pick(models, r).forward(r.inputs);
    if (!classOf) continue;
    const scores = Array.from({ length: classes }, (_, c) =>
      label ? models[0]!.forward({ ...r.inputs, [label]: Int32Array.of(c) }) : models[c]!.forward(r.inputs),
    );
    if (scores.indexOf(Math.max(...scores)) === classOf(r)) right++;
  }
  return { valLoss: loss / val.length, ...(classOf ? { valAccuracy: right / val.length } : {}) };
}

function initFrom(init: Readonly<Record<string, ArrayLike<number>>>, shapes: Record<string, number[]>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const v = init[name];
    if (!v) throw new CliError(`the starting weights have no tensor "${name}" [${shape.join(",")}]`);
    if (v.length !== sizeOf(shape)) throw new CliError(`starting weight "${name}" has ${v.length} values, the model's [${shape.join(",")}] needs ${sizeOf(shape)}`);
    out[name] = Float64Array.from(v);
  }
  return out;
}
