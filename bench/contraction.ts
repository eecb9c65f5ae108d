// One linear layer's backward alone: `tsx bench/contraction.ts [--rows R] [--shapes 512x2048,2048x512]
// [--semiring maxprod,sumprod,entropy] [--reps N] [--precision f32|f64] [--threads]`. Per shape in×out, the
// model out = Σ linear(x, w) ⊙ probe over R rows (BERT-6 at seq 32: 32 × 512→2048 and 2048→512),
// compiled like `semic compile` with timing hooks (one thread unless --threads); prints per semiring the median milliseconds of
// the linear layer's backward step (x's adjoint, the contraction over out) and the plan's note.

import { importModule } from "../compiler/compile.ts";
import { renderJsModule } from "../compiler/backends/js/module.ts";
import { buildBackward } from "../compiler/backward.ts";
import { GraphBuilder } from "../ir/graph.ts";
import { semirings } from "../ir/semirings/index.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const R = Number(opt("rows", "32"));
const reps = Number(opt("reps", "9"));
const precision = opt("precision", "f32") as "f32" | "f64";
const names = opt("semiring", "sumprod,maxprod,entropy").split(",") as (keyof typeof semirings)[];
const shapes = opt("shapes", "512x2048,2048x512").split(",").map((s) => s.split("x").map(Number) as [number, number]);
const holder = globalThis as { __semicProfile?: Record<string, number> };

for (const [I, O] of shapes) {
  const b = new GraphBuilder("contraction");
  const x = b.add("input", [], { name: "x", shape: [R, I] });
  const y = b.add("linear", [x, b.add("param", [], { name: "w", shape: [O, I] })]);
  const g = b.build(b.add("sum", [b.add("mul", [y, b.add("param", [], { name: "probe", shape: [R, O] })])]));
  const js = renderJsModule(buildBackward(g, ["x"]), names.map((n) => semirings[n]), { precision, profile: true, threads: args.includes("--threads") });
  const mod = await importModule(js.js);
  const fill = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const model = mod.createModel({ w: fill(O * I, (i) => Math.sin(i * 0.61) * 0.2), probe: fill(R * O, (i) => ((i * 104729) % 13) / 13 - 0.4) });
  model.forward({ x: fill(R * I, (i) => Math.sin(i * 0.37) * 3) });
  for (const n of names) {
    const ts: number[] = [];
    for (let r = 0; r < reps + 1; r++) {
      holder.__semicProfile = {};
      model.backward(n);
      const linear = Object.entries(holder.__semicProfile).filter(([label]) => label.includes("linear"));
      if (r > 0) ts.push(linear.reduce((a, [, t]) => a + t, 0));
    }
    const ms = ts.sort((p, q) => p - q)[ts.length >> 1]!;
    // The plan's note rides on the kernel call of the backward step (`K.name(…); // note`).
    const notes = [...js.js.matchAll(/K\.(\w+)[,(][^;]*\); \/\/ ([^\n]+)/g)].filter(([, k]) => k === `${n}_bwd_${y}_0`).map(([, , note]) => note);
    console.log(`${R}×${I}→${O} ${precision} ${n.padEnd(8)} linear bwd ${ms.toFixed(2).padStart(7)} ms (median of ${reps})  ${notes.join(" | ")}`);
  }
}
