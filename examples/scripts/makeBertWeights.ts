// Writes the sample weights of examples/bert.ts for its small default config: seeded random BERT
// initialisation in Hugging Face naming (examples/bert.safetensors), and a sample input
// (examples/bert.inputs.json). Deterministic.
//
//   npx tsx examples/scripts/makeBertWeights.ts

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeSafetensors } from "../../runtime/weights.ts";
import { hfBertShapes, randomBertWeights, smallBert } from "./bertCheckpoint.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const weights = randomBertWeights(hfBertShapes(smallBert), 2023);
writeFileSync(here("../bert.safetensors"), writeSafetensors(weights, { format: "pt", source: "semic examples/scripts/makeBertWeights.ts" }));
// 8 token ids < vocab 50; position 3 (maskPos) plays [MASK].
writeFileSync(here("../bert.inputs.json"), JSON.stringify({ ids: [1, 12, 27, 4, 33, 9, 41, 2] }) + "\n");
console.log(`wrote examples/bert.safetensors (${Object.keys(weights).length} tensors) and examples/bert.inputs.json`);
