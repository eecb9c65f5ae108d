// The §5.3 experiment (examples/paper/fig5.ts): each App. C task generator's labels against a
// direct check written here, balance, padding and determinism; the online code's bookkeeping;
// Spearman's ρ; and the --quick run end to end (shape and sanity, not the scientific conclusion).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { initParams } from "../../compiler/train/train.ts";
import type { Fig5Results } from "../../examples/paper/fig5.ts";
import { blockEnds, onlineCode } from "../../examples/paper/fig5Mdl.ts";
import { Fig5Modules } from "../../examples/paper/fig5Read.ts";
import { ranks, spearman } from "../../examples/paper/rank.ts";
import { binCountOnes, generate, minLength, TASKS, type Task } from "../../examples/paper/tasks/tasks.ts";
import { interpret } from "../../ir/interpret.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { quickFigure, runScript } from "./runScript.ts";

/** Each task's definition, written independently of tasks.ts: the class of a sequence `t`. */
const DIRECT: Record<string, (t: number[]) => number> = {
  "Contains1": (t) => Number(t.indexOf(1) >= 0),
  "ContainsTokenSet({1,2,3})": (t) => Number(t.indexOf(1) >= 0 && t.indexOf(2) >= 0 && t.indexOf(3) >= 0),
  "FirstTokenRepeatedImmediately": (t) => Number(t[1] === t[0]),
  "FirstTokenRepeatedLast": (t) => Number(t[t.length - 1] === t[0]),
  "AdjacentDuplicate": (t) => {
    for (let i = 1; i < t.length; i++) if (t[i] === t[i - 1]) return 1;
    return 0;
  },
  "FirstTokenRepeatedOnce": (t) => {
    let n = 0;
    for (let i = 1; i < t.length; i++) if (t[i] === t[0]) n++;
    return Number(n === 1);
  },
  // The bin k whose range of (count − 1) is [k·len/c, (k+1)·len/c) (no 1 at all: class 0).
  "BinCountOnes(2)": (t) => bins(t, 2),
  "BinCountOnes(3)": (t) => bins(t, 3),
  "BinCountOnes(4)": (t) => bins(t, 4),
};
function bins(t: number[], c: number): number {
  const ones = t.filter((x) => x === 1).length;
  for (let k = 0; k < c; k++) if (ones - 1 < ((k + 1) * t.length) / c) return k;
  return c - 1;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SIZES = { vocab: 20, seq: 12 };

describe("App. C task generators", () => {
  test("every task has a direct check here", () => {
    expect(TASKS.map((t) => t.name).sort()).toEqual(Object.keys(DIRECT).sort());
  });

  test.each(TASKS.map((t) => [t.name, t] as [string, Task]))("%s: labels match the direct check; balanced, padded, in range", (name, task) => {
    const n = 600;
    const data = generate(task, n, 7, SIZES);
    expect(data).toHaveLength(n);
    const perClass = new Array<number>(task.classes).fill(0);
    for (const ex of data) {
      expect(ex.ids).toHaveLength(SIZES.seq);
      expect(ex.len).toBeGreaterThanOrEqual(minLength(SIZES.seq));
      expect(ex.len).toBeLessThanOrEqual(SIZES.seq);
      const body = ex.ids.slice(0, ex.len);
      expect(body.every((x) => Number.isInteger(x) && x >= 1 && x < SIZES.vocab)).toBe(true);
      expect(ex.ids.slice(ex.len).every((x) => x === 0)).toBe(true);
      expect(ex.label).toBe(DIRECT[name]!(body));
      perClass[ex.label]!++;
    }
    for (const k of perClass) expect(k).toBe(n / task.classes);
    // Shuffled: not simply the classes in turn.
    expect(data.slice(0, 12).map((ex) => ex.label)).not.toEqual(Array.from({ length: 12 }, (_, i) => i % task.classes));
  });

  test("deterministic for a seed, different across seeds", () => {
    for (const task of TASKS) {
      expect(generate(task, 50, 3, SIZES)).toEqual(generate(task, 50, 3, SIZES));
      expect(generate(task, 50, 3, SIZES)).not.toEqual(generate(task, 50, 4, SIZES));
    }
  });

  test("the paper's BinCountOnes example: length 6, 3 classes", () => {
    const task = binCountOnes(3);
    const withOnes = (k: number) => Array.from({ length: 6 }, (_, i) => (i < k ? 1 : 5));
    expect([1, 2, 3, 4, 5, 6].map((k) => task.label(withOnes(k)))).toEqual([0, 0, 1, 1, 2, 2]);
    // Two classes split at half the length.
    expect([1, 2, 3, 4, 5, 6].map((k) => binCountOnes(2).label(withOnes(k)))).toEqual([0, 0, 0, 1, 1, 1]);
  });

  test("FirstTokenRepeatedOnce's negatives hold both no repeat and several", () => {
    const repeats = generate(TASKS.find((t) => t.name === "FirstTokenRepeatedOnce")!, 400, 2, SIZES)
      .filter((ex) => ex.label === 0)
      .map((ex) => ex.ids.slice(1, ex.len).filter((x) => x === ex.ids[0]).length);
    expect(repeats).toContain(0);
    expect(repeats.some((r) => r >= 2)).toBe(true);
  });
});

describe("what fig5 reads from a model", () => {
  // A tiny classifier at its seeded initial weights, read by Fig5Reader and checked against the
  // interpreter's log-softmax and against the per-unit entropy lanes pooled by hand.
  const MODEL = join(ROOT, "examples/paper/fig5Model.ts");
  const SMALL = { vocab: 12, seq: 6, d: 4, heads: 2, ffn: 8, layers: 2, classes: 5 };
  const inputs = [
    { ids: [3, 4, 5, 1, 0, 0], label: 2, len: 4 },
    { ids: [7, 7, 2, 9, 11, 1], label: 0, len: 6 },
    { ids: [1, 2, 3, 4, 5, 0], label: 4, len: 5 },
  ];

  test("bits, accuracy and attention entropy agree with the interpreter", async () => {
    const modules = await Fig5Modules.create(MODEL, SMALL);
    const reader = modules.initial(3);
    const { graph } = loadModel(MODEL, { config: SMALL });
    const params = initParams(graph, 3);
    const logSoftmax = graph.nodes.find((n) => n.op === "log_softmax")!;
    for (const x of inputs) {
      const trace = interpret(graph, { ...params, ids: x.ids, label: [x.label] });
      const logp = Array.from(trace.values[logSoftmax.id]!);
      expect(reader.bits(x.ids, x.label)).toBeCloseTo(-logp[x.label]! / Math.LN2, 10);
      expect(reader.correct(x.ids, x.label)).toBe(logp.indexOf(Math.max(...logp)) === x.label);
      const best = logp.indexOf(Math.max(...logp));
      expect(reader.correct(x.ids, best)).toBe(true);
      const a = reader.attentionEntropy(x.ids, x.len);
      expect(a).toBeGreaterThan(0);
      expect(a).toBeLessThanOrEqual(Math.log(SMALL.seq));
    }
  });

  test("entropy per token is the entropy of the token's pooled path distribution", async () => {
    const modules = await Fig5Modules.create(MODEL, SMALL);
    const reader = modules.initial(3);
    const { graph } = loadModel(MODEL, { config: { ...SMALL, logit: true } });
    const js = compileGraph(graph, { semirings: [semirings.entropy], wrt: ["embeddings"], precision: "f64" }).js.js;
    const model = (await importModule(js)).createModel(initParams(graph, 3));
    for (const x of inputs) {
      const unit = model.run({ ids: x.ids, label: [x.label] }, { topPath: false }).results["entropy"]!.wrt["embeddings"]!;
      // Pooling path sets with masses Z_i and entropies H_i: H = Σ w_i H_i − Σ w_i log w_i, w_i = Z_i / Σ Z.
      let sum = 0;
      for (let t = 0; t < x.len; t++) {
        const L = Array.from(unit.lanes["L"]!.slice(t * SMALL.d, (t + 1) * SMALL.d));
        const H = Array.from(unit.value.slice(t * SMALL.d, (t + 1) * SMALL.d));
        const m = Math.max(...L);
        const z = L.map((l) => Math.exp(l - m));
        const total = z.reduce((a, b) => a + b, 0);
        sum += z.reduce((a, zi, i) => a + (zi / total) * (H[i]! - Math.log(zi / total)), 0);
      }
      expect(reader.entropy(x.ids, x.label, x.len)).toBeCloseTo(sum / x.len, 9);
    }
  });
});

describe("online code", () => {
  test("block ends at the fractions; an empty block is an error", () => {
    expect(blockEnds(1600, [1 / 8, 1 / 4, 1 / 2, 1])).toEqual([200, 400, 800, 1600]);
    expect(() => blockEnds(4, [0.1, 0.2, 1])).toThrow(/empty block/);
    expect(() => blockEnds(100, [0.5, 0.9])).toThrow(/last block fraction must be 1/);
  });

  test("uniform first block, then each block coded by a model of the prefix before it", async () => {
    const calls: number[][] = [];
    const code = await onlineCode(80, 4, [1 / 4, 1 / 2, 1], async (prefix, start, end) => {
      calls.push([prefix, start, end]);
      return (end - start) * 0.5; // half a bit per example
    });
    expect(calls).toEqual([[20, 20, 40], [40, 40, 80]]);
    expect(code.blocks.map((b) => b.bits)).toEqual([40, 10, 20]); // 20 × log₂ 4, then 20 and 40 × ½
    expect(code.bits).toBe(70);
    expect(code.uniformBits).toBe(160);
    expect(code.compression).toBeCloseTo(160 / 70, 12);
  });
});

describe("Spearman's ρ", () => {
  test("ties share their mean rank", () => expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]));
  test("monotone, reversed, a textbook value, undefined cases", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 25, 100])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // Ranks x 1..5, y 2,1,4,3,5: Σd² = 4, ρ = 1 − 6·4/(5·24) = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2], [2, 1])).toBeNull();
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNull();
  });
});

describe("fig5 --quick", () => {
  const fig = quickFigure<Fig5Results>("fig5");

  test("runs and prints a line per task and the correlation", () => {
    expect(fig.run.stderr).not.toContain("internal error");
    expect(fig.run.code).toBe(0);
    for (const task of TASKS) expect(fig.run.stdout).toContain(`${task.name} `);
    expect(fig.run.stdout).toMatch(/^Spearman ρ\(entropy, MDL\) over kept runs: all (n\/a|-?\d\.\d\d), binary (n\/a|-?\d\.\d\d) \(\d+ of 9 runs kept\)$/m);
  });

  test("results have the expected shape and sane values", () => {
    expect(fig.results.experiment).toBe("fig5");
    expect(fig.results.setup).toMatchObject({ seeds: [1], train: 240, threshold: 0.8 });
    expect(fig.results.runs).toHaveLength(TASKS.length);
    for (const r of fig.results.runs) {
      const task = TASKS.find((t) => t.name === r.task)!;
      expect(r.classes).toBe(task.classes);
      // The blocks tile the training data; the first is the uniform code; the sum is the MDL.
      expect(r.blocks[0]).toMatchObject({ start: 0, trainedOn: 0 });
      expect(r.blocks[0]!.bits).toBeCloseTo(r.blocks[0]!.end * Math.log2(task.classes), 9);
      r.blocks.forEach((b, i) => i > 0 && expect(b).toMatchObject({ start: r.blocks[i - 1]!.end, trainedOn: b.start }));
      expect(r.blocks.at(-1)!.end).toBe(240);
      expect(r.mdlBits).toBeCloseTo(r.blocks.reduce((a, b) => a + b.bits, 0), 9);
      for (const b of r.blocks) expect(b.bits).toBeGreaterThan(0);
      expect(r.uniformBits).toBeCloseTo(240 * Math.log2(task.classes), 9);
      expect(r.valAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.valAccuracy).toBeLessThanOrEqual(1);
      expect(r.kept).toBe(r.valAccuracy >= 0.8);
      expect(Number.isFinite(r.entropy)).toBe(true);
      expect(r.entropy).toBeGreaterThan(0);
      expect(r.entropyAtInit).toBeGreaterThan(0);
      expect(r.attentionEntropy).toBeGreaterThanOrEqual(0);
      expect(r.attentionEntropy).toBeLessThanOrEqual(Math.log(fig.results.setup.model["seq"]!) + 1e-9);
    }
    expect(fig.results.summary.tasks.map((t) => t.task)).toEqual(TASKS.map((t) => t.name));
    expect(fig.results.summary.kept).toBe(fig.results.runs.filter((r) => r.kept).length);
  });

  test("--merge redraws a run from its results; the same run twice is a located error", async () => {
    const again = join(fig.out, "merged");
    const merged = await runScript(["examples/paper/fig5.ts", "--merge", join(fig.out, "fig5.json"), "--out", again]);
    expect(merged.code).toBe(0);
    expect(JSON.parse(readFileSync(join(again, "fig5.json"), "utf8"))).toEqual(fig.results);
    const twice = await runScript(["examples/paper/fig5.ts", "--merge", join(fig.out, "fig5.json"), join(fig.out, "fig5.json"), "--out", again]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^semic: .*fig5\.json: Contains1 seed 1 appears twice$/m);
  });

  test("the page embeds the scatter's data", () => {
    const html = readFileSync(join(fig.out, "fig5.html"), "utf8");
    expect(html).toContain("<title>semic: Fig. 5 (§5.3)</title>");
    for (const task of TASKS) expect(html).toContain(JSON.stringify(task.name).slice(1, -1));
  });
});
