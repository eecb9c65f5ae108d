// Writes examples/mlp.params.json and examples/mlp.inputs.json: seeded weights for examples/mlp.ts
// (hidden 16, 3 classes; He-scaled uniform, 4 decimals) and one input. Deterministic: rerunning it
// reproduces the committed files byte for byte.
//
//     npx tsx examples/scripts/makeMlpSample.ts

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rng as prng } from "../../compiler/train/random.ts";

const random = prng(20230709);
const round = (x: number) => Math.round(x * 1e4) / 1e4;
/** Uniform in ±√(6/fanIn) (He initialisation), rounded to 4 decimals. */
const uniform = (n: number, fanIn: number) => Array.from({ length: n }, () => round((2 * random() - 1) * Math.sqrt(6 / fanIn)));
const matrix = (rows: number, cols: number) => Array.from({ length: rows }, () => uniform(cols, cols));

const [inputs, hidden, classes] = [4, 16, 3];
const params = {
  w1: matrix(hidden, inputs),
  b1: uniform(hidden, hidden).map((b) => round(b / 10)),
  w2: matrix(classes, hidden),
  b2: uniform(classes, classes).map((b) => round(b / 10)),
};
const sample = { x: [0.5, -1.2, 0.8, 2.0] };

/** JSON with each innermost array on one line. */
const show = (v: unknown) => JSON.stringify(v, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_m, s: string) => `[${s.split(/,\s+/).join(", ")}]`) + "\n";

const at = (name: string) => fileURLToPath(new URL(`../${name}`, import.meta.url));
writeFileSync(at("mlp.params.json"), show(params));
writeFileSync(at("mlp.inputs.json"), show(sample));
console.log(`wrote ${at("mlp.params.json")} and ${at("mlp.inputs.json")}`);
