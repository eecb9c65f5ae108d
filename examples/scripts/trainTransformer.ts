// Trains examples/transformer.ts on the "first token repeats" task (firstTokenTask.ts) with Adam,
// using semic's own sumprod backward w.r.t. the parameters, and writes
// examples/transformer.params.json and examples/transformer.inputs.json. Deterministic.
//
//   npx tsx examples/scripts/trainTransformer.ts [--steps 400]

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileGraph, importModule, type GeneratedModel } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { semirings } from "../../ir/semirings/index.ts";
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

type Params = Record<string, Float64Array>;
type Shapes = Record<string, number[]>;

/** One compiled model per class: the output is log p(target), so the loss −log p(label) needs both. */
async function compileForTargets(classes: number) {
  const models = [];
  let shapes: Shapes = {};
  let config: Record<string, unknown> = {};
  for (let target = 0; target < classes; target++) {
    const loaded = loadModel(modelFile, { config: { target } });
    config = loaded.config;
    const leaves = loaded.graph.nodes.filter((n) => n.op === "param");
    shapes = Object.fromEntries(leaves.map((n) => [n.attrs["name"] as string, [...n.type.shape]]));
    const { js } = compileGraph(loaded.graph, { semirings: [semirings.sumprod], wrt: Object.keys(shapes), precision: "f64" });
    models.push(await importModule(js.js));
  }
  return { models, shapes, config };
}

/** Small random init: embeddings N(0, 1), matrices N(0, 1/fan_in), biases 0. */
function initParams(shapes: Shapes, seed: number): Params {
  const rand = rng(seed);
  const out: Params = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const std = shape.length === 1 ? 0 : name.endsWith("_emb") ? 1 : 1 / Math.sqrt(shape[1]!);
    out[name] = Float64Array.from({ length: size }, () => std * gaussian(rand));
  }
  return out;
}

function accuracy(model: GeneratedModel, data: readonly Example[]): number {
  let right = 0;
  for (const ex of data) {
    const logP1 = model.forward({ ids: ex.ids });
    if ((logP1 > Math.log(0.5) ? 1 : 0) === ex.label) right++;
  }
  return right / data.length;
}

async function main() {
  const t0 = Date.now();
  const { models, shapes, config } = await compileForTargets(2);
  const { vocab, seq } = config as { vocab: number; seq: number };
  const train = makeDataset(SEED, STEPS * BATCH, vocab, seq);
  const test = makeDataset(SEED + 1000, 2000, vocab, seq);

  const params = initParams(shapes, SEED);
  const m = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float64Array(v.length)]));
  const v = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new Float64Array(p.length)]));
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];

  for (let step = 0; step < STEPS; step++) {
    const byTarget = models.map((mod) => mod.createModel(params));
    const grad = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new Float64Array(p.length)]));
    let loss = 0;
    for (const ex of train.slice(step * BATCH, (step + 1) * BATCH)) {
      const { output, results } = byTarget[ex.label]!.run({ ids: ex.ids }, { topPath: false });
      loss -= output;
      for (const [k, t] of Object.entries(results["sumprod"]!.wrt)) {
        const g = grad[k]!;
        for (let i = 0; i < g.length; i++) g[i]! -= t.value[i]! / BATCH; // ∂(−log p)/∂θ
      }
    }
    const lr = LR * Math.min(1, (step + 1) / 20); // short warm-up
    for (const k of Object.keys(params)) {
      const [p, g, mk, vk] = [params[k]!, grad[k]!, m[k]!, v[k]!];
      for (let i = 0; i < p.length; i++) {
        mk[i] = b1 * mk[i]! + (1 - b1) * g[i]!;
        vk[i] = b2 * vk[i]! + (1 - b2) * g[i]! * g[i]!;
        const mh = mk[i]! / (1 - b1 ** (step + 1)), vh = vk[i]! / (1 - b2 ** (step + 1));
        p[i]! -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
    if (step % 50 === 0 || step === STEPS - 1) console.log(`step ${step}: loss ${(loss / BATCH).toFixed(4)}`);
  }

  // What is written: f32-rounded values, as a weights file holds them; accuracy measured on those.
  const rounded = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, Float64Array.from(p, (x) => Number(Math.fround(x).toPrecision(7)))]));
  const acc = accuracy(models[1]!.createModel(rounded), test);
  console.log(`test accuracy ${(acc * 100).toFixed(1)}% on ${test.length} held-out sequences (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

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
