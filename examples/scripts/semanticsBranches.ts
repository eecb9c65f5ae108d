// Which branch carries the max-product flow of the first and of the repeated token, on the shipped
// §5.1 transformer, under the element semantics (every path competes: the branch whose best path is
// largest) and under the paper library's semantics (--semantics paper: the pointer of the token's
// best hidden unit, its "oplus" view). Positive sequences only.
//
//   npx tsx examples/scripts/semanticsBranches.ts [--n 500] [--seed 7]

import { fileURLToPath } from "node:url";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { consumerLabels } from "../../compiler/semantics.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { loadTensorFile } from "../../runtime/weights.ts";
import { makeDataset } from "./firstTokenTask.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg("--n", 500);
const BRANCHES = ["query", "key", "value", "skip"];

const { graph, config } = loadModel(here("../transformer.ts"));
const { vocab, seq, d } = config as { vocab: number; seq: number; d: number };
const params = Object.fromEntries([...loadTensorFile(here("../transformer.params.json"))].map(([k, t]) => [k, t.data]));
const positives = makeDataset(arg("--seed", 7), 4 * N, vocab, seq).filter((e) => e.label === 1).slice(0, N);

for (const semantics of ["element", "paper"] as const) {
  const compiled = compileGraph(graph, { semirings: [semirings.maxprod], wrt: ["embeddings"], precision: "f64", semantics });
  const labels = consumerLabels(compiled.graph);
  const model = (await importModule(compiled.js.js)).createModel(params);
  const tally = { first: {} as Record<string, number>, repeated: {} as Record<string, number> };
  let topAtRepeated = 0;
  for (const ex of positives) {
    const r = model.run({ ids: ex.ids }, { topPath: false, aggregate: { embeddings: [1] } }).results["maxprod"]!;
    const perToken = r.aggregated!["embeddings"]!;
    const branchAt = (pos: number) => {
      if (semantics === "paper") return labels.get(perToken.lanes["hiFrom"]![pos]!)!;
      const best = (b: string) => Math.max(...r.branches[b]!.value.subarray(pos * d, (pos + 1) * d));
      return BRANCHES.reduce((a, b) => (best(b) > best(a) ? b : a));
    };
    for (const [what, pos] of [["first", 0], ["repeated", ex.repeat]] as const) tally[what][branchAt(pos)] = (tally[what][branchAt(pos)] ?? 0) + 1;
    const top = [...perToken.value].indexOf(Math.max(...perToken.value));
    if (top === ex.repeat && branchAt(top) === "key") topAtRepeated++;
  }
  const show = (t: Record<string, number>) => BRANCHES.filter((b) => t[b]).map((b) => `${b} ${t[b]}`).join(", ");
  console.log(`${semantics.padEnd(7)}  first token: ${show(tally.first)}  ·  repeated token: ${show(tally.repeated)}  ·  largest of all at the repeated token, via key: ${topAtRepeated}/${N}`);
}
