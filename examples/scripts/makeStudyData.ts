// Writes the sample study datasets of examples/data/ (JSON Lines, one input record per line), for
// `semic run … --dataset`. Deterministic: rerunning it reproduces the committed files byte for byte.
//
//   transformer.jsonl  100 sequences of the first-token task (examples/transformer.ts, seq 6), with
//                      the label, the repeated position, and a per-token group (first / repeat / other)
//   bert.jsonl         40 random sequences of lengths 4 to 12 for the small examples/bert.ts
//                      (vocab 50; maskPos 3 needs at least 4 tokens): one compile per length
//
//     npx tsx examples/scripts/makeStudyData.ts

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { makeDataset, rng } from "./firstTokenTask.ts";

const at = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

const GROUP = { first: 0, repeat: 1, other: 2 } as const;
const transformer = makeDataset(2023, 100, 12, 6).map((ex, i) => ({
  id: `t${String(i + 1).padStart(3, "0")}`,
  ids: ex.ids,
  label: ex.label,
  meta: {
    repeat: ex.repeat,
    group: ex.ids.map((_, p) => (p === 0 ? GROUP.first : p === ex.repeat ? GROUP.repeat : GROUP.other)),
  },
}));
writeFileSync(at("transformer.jsonl"), jsonl(transformer));

const rand = rng(512);
const bert = Array.from({ length: 40 }, (_, i) => {
  const length = 4 + Math.floor(rand() * 9);
  return { id: `b${String(i + 1).padStart(2, "0")}`, ids: Array.from({ length }, () => Math.floor(rand() * 50)), meta: { length } };
});
writeFileSync(at("bert.jsonl"), jsonl(bert));
