// A row op alone: `tsx bench/rowKernels.ts [--op logSoftmax|layerNorm] [--vocab V] [--rows R] [--dense] [--reps N] [--precision f32|f64]`.
// logSoftmax (default): one model over R rows of width V (BERT's MLM head is one row of 30522),
// compiled like `semic compile`: out = log_softmax(x ⊙ w)[0, 7], one element picked as BERT's head
// does (every other adjoint of the row is 0̄), or with --dense out = Σ log_softmax(x ⊙ w) ⊙ probe.
// layerNorm: out = Σ layer_norm(x ⊙ w, γ, β) ⊙ probe over R rows of width V (default 32 × 512,
// one of BERT-6's layer norms at seq 32), always dense as inside BERT.
// Prints the median time of the forward and of each semiring's backward (the row's kernels and
// the elementwise product's), milliseconds.

import { compileGraph, importModule } from "../compiler/compile.ts";
import { GraphBuilder } from "../ir/graph.ts";
import { semirings } from "../ir/semirings/index.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const op = opt("op", "logSoftmax");
if (op !== "logSoftmax" && op !== "layerNorm") throw new Error(`--op must be logSoftmax or layerNorm, got ${op}`);
const ln = op === "layerNorm";
const V = Number(opt("vocab", ln ? "512" : "30522"));
const R = Number(opt("rows", ln ? "32" : "1"));
const reps = Number(opt("reps", "9"));
const precision = opt("precision", "f32") as "f32" | "f64";
const names = ["sumprod", "maxprod", "entropy", "logsum"] as const;

const b = new GraphBuilder("row");
const x = b.add("input", [], { name: "x", shape: [R, V] });
const w = b.add("param", [], { name: "w", shape: [R, V] });
const dense = ln || args.includes("--dense");
const vec = (name: string) => b.add("param", [], { name, shape: [V] });
const y = ln ? b.add("layer_norm", [b.add("mul", [x, w]), vec("gamma"), vec("beta")], { eps: 1e-12 }) : b.add("log_softmax", [b.add("mul", [x, w])]);
const g = b.build(dense ? b.add("sum", [b.add("mul", [y, b.add("param", [], { name: "probe", shape: [R, V] })])]) : b.add("pick", [y], { index: [0, 7] }));
const { js } = compileGraph(g, { semirings: names.map((n) => semirings[n]), wrt: ["x"], precision });
const mod = await importModule(js.js);
const fill = (f: (i: number) => number) => Float64Array.from({ length: R * V }, (_, i) => f(i));
const row = (f: (i: number) => number) => Float64Array.from({ length: V }, (_, i) => f(i));
const model = mod.createModel({
  w: fill((i) => 0.5 + ((i * 7919) % 101) / 100),
  ...(dense ? { probe: fill((i) => ((i * 104729) % 13) / 13 - 0.4) } : {}),
  ...(ln ? { gamma: row((i) => 0.8 + ((i * 31) % 17) / 40), beta: row((i) => ((i * 13) % 7) / 20 - 0.15) } : {}),
});
const inputs = { x: fill((i) => Math.sin(i * 0.37) * 3) };

const median = (f: () => void): number => {
  const ts: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    f();
    if (r > 0) ts.push(performance.now() - t0);
  }
  return ts.sort((p, q) => p - q)[ts.length >> 1]!;
};
const fwd = median(() => model.forward(inputs));
const cols = names.map((n) => `${n} bwd ${median(() => model.backward(n)).toFixed(2)}`);
console.log(`${ln ? "layer-norm" : "log-softmax"} rows ${R} × ${V} (${dense ? "dense adjoints" : "one element picked"}), ${precision}, median of ${reps}: forward ${fwd.toFixed(2)} · ${cols.join(" · ")} (ms)`);
