// One semiring's backward pass alone, on BERT-6 (h512, 8 heads, FFN 2048) in f32:
// `tsx bench/backward.ts [--vocab V] [--seq N] [--semiring S] [--reps R]` prints the median of R
// timed calls after one untimed (forward run once before; worker threads as the module starts them).

import { compileGraph, importModule } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import { semirings } from "../ir/semirings/index.ts";
import { modelInputs, randomParams } from "./models.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
const vocab = Number(opt("vocab", "30522"));
const seq = Number(opt("seq", "32"));
const sr = opt("semiring", "sumprod") as keyof typeof semirings;
const reps = Number(opt("reps", "5"));

const config = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab, maskPos: 3, target: 7, seq };
const { graph } = loadModel("examples/bert.ts", { config });
const { js } = compileGraph(graph, { semirings: [semirings[sr]], wrt: ["embeddings"], precision: "f32" });
const model = (await importModule(js.js)).createModel(randomParams(graph, 1)) as unknown as {
  forward(inputs: Record<string, ArrayLike<number>>): number;
  backward(name: string): void;
};
model.forward(modelInputs(graph, 1));
const ms: number[] = [];
for (let r = 0; r <= reps; r++) {
  const t0 = performance.now();
  model.backward(sr);
  const t = performance.now() - t0;
  if (r > 0) ms.push(t);
  console.log(`  ${r > 0 ? `call ${r}` : "untimed call"}: ${t.toFixed(1)} ms`);
}
ms.sort((a, b) => a - b);
const f = (x: number) => x.toFixed(1);
console.log(`BERT-6 vocab ${vocab} seq ${seq} f32, ${sr} backward: median ${f(ms[ms.length >> 1]!)} ms of ${reps} (min ${f(ms[0]!)}, max ${f(ms[ms.length - 1]!)})`);
