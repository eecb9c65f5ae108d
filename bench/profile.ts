// Per-kernel profile of semic's generated code:
// `tsx bench/profile.ts [model] [--seq N] [--vocab V] [--semiring S] [--precision f32|f64] [--small] [--expand layerNorm,softmax] [--no-threads]`.
// Compiles with timing hooks around every step and prints the steps that cost the most.

import { importModule } from "../compiler/compile.ts";
import { parseExpand } from "../compiler/cli/load.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import { expandFor } from "../compiler/semantics.ts";
import { semirings } from "../ir/semirings/index.ts";
import { modelInputs, randomParams } from "./models.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const file = args.find((a) => a.endsWith(".ts")) ?? "examples/bert.ts";
const seq = Number(opt("seq", "32"));
const srNames = opt("semiring", "sumprod").split(",");
const reps = Number(opt("reps", "5"));
const top = Number(opt("top", "25"));

const vocab = Number(opt("vocab", "30522"));
const precision = opt("precision", "f32") as "f32" | "f64";
const small = args.includes("--small");
const bert = small ? { layers: 2, hidden: 256, heads: 4, intermediate: 1024, vocab, seq } : { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab, seq };
const expand = parseExpand(args.includes("--expand") ? [opt("expand", "")] : undefined);
const graph = expandFor(loadModel(file, { config: file.includes("bert") ? bert : {} }).graph, "element", expand);
const sel = srNames.map((n) => semirings[n as keyof typeof semirings]);
const { renderJsModule } = await import("../compiler/backends/js/module.ts");
const { buildBackward } = await import("../compiler/backward.ts");
const prof = renderJsModule(buildBackward(graph, ["embeddings"]), sel, { precision, profile: true, threads: !args.includes("--no-threads") });
const mod = await importModule(prof.js);
const model = mod.createModel(randomParams(graph, 1));
const inputs = modelInputs(graph);
const g = globalThis as { __semicProfile?: Record<string, number> };
for (let r = 0; r < reps + 2; r++) {
  if (r === 2) g.__semicProfile = {};
  model.run(inputs, { semirings: srNames, topPath: false });
}
const p = g.__semicProfile ?? {};
const total = Object.values(p).reduce((a, b) => a + b, 0) / reps;
console.log(`${file}${file.includes("bert") ? ` vocab ${vocab}` : ""}${expand.length > 0 ? ` expanded ${expand.join(",")}` : ""} seq ${seq} ${precision} ${srNames.join("+")}: ${total.toFixed(1)} ms per run (forward + backward), ${Object.keys(p).length} steps`);
const byKind = new Map<string, number>();
for (const [label, t] of Object.entries(p)) {
  const [name, where, , , op] = label.split(" ");
  const kind = `${name!.startsWith("fwd") ? "fwd" : "bwd"} ${where} ${op ?? name}`;
  byKind.set(kind, (byKind.get(kind) ?? 0) + t / reps);
}
const phase = { fwd: 0, bwd: 0 };
for (const [k, t] of byKind) phase[k.startsWith("fwd") ? "fwd" : "bwd"] += t;
console.log(`forward ${phase.fwd.toFixed(1)} ms, backward ${phase.bwd.toFixed(1)} ms`);
console.log("by op (share of its pass):");
for (const [k, t] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  const share = (100 * t) / phase[k.startsWith("fwd") ? "fwd" : "bwd"];
  console.log(`  ${t.toFixed(2).padStart(8)} ms ${share.toFixed(1).padStart(5)}%  ${k}`);
}
console.log("top steps:");
for (const [label, t] of Object.entries(p).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(t / reps).toFixed(2).padStart(8)} ms  ${label}`);
