// Trains examples/transformer.ts on the "first token repeats" task (firstTokenTask.ts) with
// semic's training API (compiler/train: Adam on semic's own sumprod gradient w.r.t. the params),
// and writes examples/transformer.params.json and examples/transformer.inputs.json. Deterministic.
//
//   npx tsx examples/scripts/trainTransformer.ts [--steps 400]

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../compiler/frontend/index.ts";
import { train } from "../../compiler/train/train.ts";
import { gaussian, makeDataset, rng, type Example } from "./firstTokenTask.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const modelFile = here("../transformer.ts");

const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg("--steps", 400);
const BATCH = arg("--batch", 32);
const LR = arg("--lr", 0.01);
const SEED = arg("--seed", 1);

type Shapes = Record<string, number[]>;

/** Small random init: embeddings (token and position) N(0, 1), matrices N(0, 1/fan_in), biases 0. */
function initParams(shapes: Shapes, seed: number): Record<string, Float64Array> {
  const rand = rng(seed);
  const out: Record<string, Float64Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const std = shape.length === 1 ? 0 : name.endsWith("_emb") ? 1 : 1 / Math.sqrt(shape[1]!);
    out[name] = Float64Array.from({ length: size }, () => std * gaussian(rand));
  }
  return out;
}

/** Records of the training format: the model input `ids` and the class under "label". */
const records = (data: readonly Example[]) => data.map((ex) => ({ ids: ex.ids, label: ex.label }));

async function main() {
  const t0 = Date.now();
  const { graph, config } = loadModel(modelFile);
  const shapes = Object.fromEntries(graph.nodes.filter((n) => n.op === "param").map((n) => [n.attrs["name"] as string, [...n.type.shape]]));
  const { vocab, seq } = config as { vocab: number; seq: number };
  // One pass over STEPS·BATCH fresh sequences, in order, with a short warm-up.
  const trainSet = makeDataset(SEED, STEPS * BATCH, vocab, seq);
  const test = makeDataset(SEED + 1000, 2000, vocab, seq);
  const { params, history } = await train({
    model: modelFile,
    train: records(trainSet),
    val: records(test),
    // The model's output is log p(target | ids): one module per class, chosen by the config key.
    loss: { kind: "nll", label: "label", labelConfig: "target", classes: 2 },
    epochs: 1,
    lr: LR,
    batch: BATCH,
    seed: SEED,
    warmup: 20,
    shuffle: false,
    init: initParams(shapes, SEED),
    onProgress: (p) => {
      if (p.kind === "batch" && ((p.step - 1) % 50 === 0 || p.step === p.steps)) console.log(`step ${p.step - 1}: loss ${p.loss.toFixed(4)} (running mean)`);
    },
  });
  const acc = history.at(-1)!.valAccuracy!;
  console.log(`test accuracy ${(acc * 100).toFixed(1)}% on ${test.length} held-out sequences (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // What is written: f32-rounded values, as a weights file holds them.
  const rounded = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, Float64Array.from(p, (x) => Number(Math.fround(x).toPrecision(7)))]));
  const nest = (flat: Float64Array, shape: number[]): unknown =>
    shape.length === 1 ? Array.from(flat) : Array.from({ length: shape[0]! }, (_, r) => {
      const size = flat.length / shape[0]!;
      return nest(flat.subarray(r * size, (r + 1) * size), shape.slice(1));
    });
  const json = Object.fromEntries(Object.entries(rounded).map(([k, p]) => [k, nest(p, shapes[k]!)]));
  writeFileSync(here("../transformer.params.json"), JSON.stringify(json) + "\n");
  // A positive sample: the first token (3) comes back at position 4.
  writeFileSync(here("../transformer.inputs.json"), JSON.stringify({ ids: [3, 7, 0, 9, 3, 5] }) + "\n");
}

await main();
