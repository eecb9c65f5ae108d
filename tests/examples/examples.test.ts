// The examples end to end: every model loads, compiles with every semiring and runs on its sample
// weights; the transformer's gradient matches finite differences and its path statistics match
// brute force at a tiny size; BERT binds a Hugging Face-named checkpoint; and the paper's §5.1
// observation is measured on the transformer trained here.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { compileGraph, importModule, type GeneratedModel, type GeneratedResult } from "../../compiler/compile.ts";
import { loadModel, loadSemirings } from "../../compiler/frontend/index.ts";
import type { Graph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret.ts";
import { semirings, topk } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { bindTensors, loadTensorFile, writeSafetensors, type ExpectedTensor, type TensorMap } from "../../runtime/weights.ts";
import { hfBertShapes, randomBertWeights, smallBert } from "../../examples/scripts/bertCheckpoint.ts";
import { makeDataset } from "../../examples/scripts/firstTokenTask.ts";
import { expectMatchesBruteForce, splitFeeds } from "../oracle/check.ts";
import { bruteForce, numericSemiring } from "../oracle/paths.ts";
import { randomFeed } from "../oracle/random.ts";

const example = (p: string) => fileURLToPath(new URL(`../../examples/${p}`, import.meta.url));
const builtins: Semiring[] = [...Object.values(semirings), topk(3)];
const bottleneck = loadSemirings(example("semirings/bottleneck.ts")).find((s) => s.name === "bottleneck")!;

/** The inputs and params a graph expects, for bindTensors. */
function expectedOf(g: Graph): ExpectedTensor[] {
  return g.nodes
    .filter((n) => n.op === "param" || n.op === "input")
    .map((n) => ({ name: n.attrs["name"] as string, shape: n.type.shape, dtype: n.type.dtype, kind: n.op as "param" | "input" }));
}

/** Params and inputs bound from files, as the CLI would. */
function bindFiles(g: Graph, files: string[], allowExtra = false): Record<string, Float64Array> {
  const given: TensorMap = new Map(files.flatMap((f) => [...loadTensorFile(f)]));
  const { tensors } = bindTensors(expectedOf(g), given, files.join(" + "), { allowExtra });
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, Float64Array.from(v)]));
}

const samples: Record<string, { file: string; weights: string[] }> = {
  mlp: { file: "mlp.ts", weights: ["mlp.params.json", "mlp.inputs.json"] },
  transformer: { file: "transformer.ts", weights: ["transformer.params.json", "transformer.inputs.json"] },
  bert: { file: "bert.ts", weights: ["bert.safetensors", "bert.inputs.json"] },
};

function expectNoNaN(res: GeneratedResult, what: string): void {
  for (const [kind, tensors] of [["wrt", res.wrt], ["branch", res.branches]] as const)
    for (const [name, t] of Object.entries(tensors))
      for (const [lane, values] of Object.entries(t.lanes)) {
        const bad = Array.from(values).findIndex((v) => Number.isNaN(v));
        if (bad >= 0) expect.fail(`${what}: ${kind} ${name} lane ${lane}[${bad}] is NaN`);
      }
}

const relClose = (a: number, b: number, rtol: number, atol: number) => Math.abs(a - b) <= atol + rtol * Math.abs(b);

describe("examples load, compile with every semiring and run on their sample weights", () => {
  test.each(Object.entries(samples))("%s", async (_name, { file, weights }) => {
    const { graph } = loadModel(example(file));
    const feeds = bindFiles(graph, weights.map(example));
    const { params, inputs } = splitFeeds(graph, feeds);
    const { js } = compileGraph(graph, { semirings: [...builtins, bottleneck] });
    const model = (await importModule(js.js)).createModel(params);
    const { output, results } = model.run(inputs);
    expect(Number.isFinite(output)).toBe(true);
    const want = interpret(graph, feeds).values[graph.output]![0]!;
    expect(relClose(output, want, 1e-4, 1e-5), `forward ${output} vs interpreter ${want}`).toBe(true);
    expect(Object.keys(results).sort()).toEqual([...builtins, bottleneck].map((s) => s.name).sort());
    for (const [sr, res] of Object.entries(results)) expectNoNaN(res, `${file} × ${sr}`);
  });

  test("BERT at bert-base-like sizes (6 layers, hidden 512, 8 heads, FFN 2048, vocab 30522) loads and compiles", () => {
    const sizes = { layers: 6, hidden: 512, heads: 8, intermediate: 2048, vocab: 30522 };
    const { graph, config } = loadModel(example("bert.ts"), { config: sizes });
    expect(config).toMatchObject(sizes);
    const hf = hfBertShapes({ ...smallBert, ...sizes });
    for (const e of expectedOf(graph).filter((e) => e.kind === "param")) expect(hf.get(e.name), e.name).toEqual(e.shape);
    const { js } = compileGraph(graph, { semirings: [semirings.maxprod] });
    expect(js.js.length).toBeGreaterThan(0);
  });
});

describe("BERT binds a Hugging Face checkpoint by name", () => {
  const dir = mkdtempSync(join(tmpdir(), "semic-bert-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("random BertForPreTraining-style weights written as safetensors: no missing names, extras ignored", async () => {
    const { graph } = loadModel(example("bert.ts"));
    const file = join(dir, "model.safetensors");
    writeFileSync(file, writeSafetensors(randomBertWeights(hfBertShapes(smallBert, { pretraining: true }), 7)));
    const given = loadTensorFile(file);
    const params = expectedOf(graph).filter((e) => e.kind === "param");
    const { tensors, ignored } = bindTensors(params, given, file, { allowExtra: true }); // throws listing any missing name
    expect(Object.keys(tensors).sort()).toEqual(params.map((e) => e.name).sort());
    expect(ignored).toEqual(
      ["bert.pooler.dense.bias", "bert.pooler.dense.weight", "cls.predictions.decoder.bias", "cls.predictions.decoder.weight",
        "cls.seq_relationship.bias", "cls.seq_relationship.weight"],
    );
    // Every tensor of a BertForMaskedLM state dict is used (the decoder is tied to the word embeddings).
    expect(params.length).toBe(hfBertShapes(smallBert).size);

    const { js } = compileGraph(graph, { semirings: [semirings.sumprod], precision: "f64" });
    const model = (await importModule(js.js)).createModel(tensors);
    const ids = [1, 12, 27, 4, 33, 9, 41, 2];
    const out = model.forward({ ids });
    expect(relClose(out, interpret(graph, { ...tensors, ids }).values[graph.output]![0]!, 1e-9, 1e-12)).toBe(true);
  });

  test("sumprod w.r.t. the tied word embeddings and the position embeddings matches finite differences", async () => {
    const { graph } = loadModel(example("bert.ts"));
    const feeds = bindFiles(graph, [example("bert.safetensors"), example("bert.inputs.json")]);
    const { params, inputs } = splitFeeds(graph, feeds);
    const word = "bert.embeddings.word_embeddings.weight", pos = "bert.embeddings.position_embeddings.weight";
    const { js } = compileGraph(graph, { semirings: [semirings.sumprod], wrt: [word, pos], precision: "f64" });
    const res = (await importModule(js.js)).createModel(params).run(inputs).results["sumprod"]!;
    const hidden = 32, ids = Array.from(feeds["ids"]!);
    // word rows used as inputs (and as decoder rows), the target's row (decoder only), and position rows.
    const probes: [string, number][] = [[word, ids[3]! * hidden + 5], [word, ids[0]! * hidden + 17], [word, 7 * hidden + 2], [word, 49 * hidden], [pos, 3 * hidden + 1], [pos, 6 * hidden + 30]];
    const f = (name: string, at: number, dx: number) => {
      const moved = Float64Array.from(feeds[name]!);
      moved[at]! += dx;
      return interpret(graph, { ...feeds, [name]: moved }).values[graph.output]![0]!;
    };
    for (const [name, at] of probes) {
      const h = 1e-4;
      const fd = (f(name, at, h) - f(name, at, -h)) / (2 * h);
      const got = res.wrt[name]!.value[at]!;
      expect(relClose(got, fd, 1e-5, 1e-8), `${name}[${at}]: ${got} vs finite difference ${fd}`).toBe(true);
    }
  });
});

describe("transformer: calculus and brute force", () => {
  const { graph } = loadModel(example("transformer.ts"));
  const feeds = bindFiles(graph, [example("transformer.params.json"), example("transformer.inputs.json")]);

  // pos_emb feeds only the embeddings sum, so moving pos_emb[e] moves embeddings[e] by the same amount.
  test.each([1, 0])("sumprod w.r.t. embeddings matches central differences (target %i)", async (target) => {
    const g = target === 1 ? graph : loadModel(example("transformer.ts"), { config: { target } }).graph;
    const { params, inputs } = splitFeeds(g, feeds);
    const { js } = compileGraph(g, { semirings: [semirings.sumprod], wrt: ["embeddings"], precision: "f64" });
    const grad = (await importModule(js.js)).createModel(params).run(inputs).results["sumprod"]!.wrt["embeddings"]!.value;
    const d = 16;
    for (const at of [0, 5, 4 * d + 3, 4 * d + 11, 1 * d + 7, 5 * d + 15]) {
      const f = (dx: number) => {
        const moved = Float64Array.from(feeds["pos_emb"]!);
        moved[at]! += dx;
        return interpret(g, { ...feeds, pos_emb: moved }).values[g.output]![0]!;
      };
      const h = 1e-5;
      const fd = (f(h) - f(-h)) / (2 * h);
      expect(relClose(grad[at]!, fd, 1e-5, 1e-9), `embeddings[${at}]: ${grad[at]} vs ${fd}`).toBe(true);
    }
  });

  test("with 2 heads and the optional layerNorm: sumprod w.r.t. embeddings matches central differences", async () => {
    const g = loadModel(example("transformer.ts"), { config: { heads: 2, layerNorm: true } }).graph;
    const feeds = randomFeed(g, 12);
    const { params, inputs } = splitFeeds(g, feeds);
    const { js } = compileGraph(g, { semirings: [semirings.sumprod], wrt: ["embeddings"], precision: "f64" });
    const grad = (await importModule(js.js)).createModel(params).run(inputs).results["sumprod"]!.wrt["embeddings"]!.value;
    for (const at of [0, 9, 17, 40, 95]) {
      const f = (dx: number) => {
        const moved = Float64Array.from(feeds["pos_emb"]!);
        moved[at]! += dx;
        return interpret(g, { ...feeds, pos_emb: moved }).values[g.output]![0]!;
      };
      const fd = (f(1e-5) - f(-1e-5)) / 2e-5;
      expect(relClose(grad[at]!, fd, 1e-5, 1e-9), `embeddings[${at}]: ${grad[at]} vs ${fd}`).toBe(true);
    }
  });

  const tiny = loadModel(example("transformer.ts"), { config: { vocab: 3, seq: 2, d: 2 } }).graph;
  test.each([semirings.maxprod, semirings.entropy, semirings.sumprod, bottleneck].map((s) => [s.name, s] as const))(
    "tiny transformer (seq 2, d 2, vocab 3) × %s matches brute-force path enumeration",
    async (_name, sr) => {
      const feeds = randomFeed(tiny, 31);
      const { results, sg } = await expectMatchesBruteForce(tiny, feeds, [sr], ["embeddings", "pos_emb"]);
      // The four named branches, each against its own path enumeration; ⊕ of them is the embeddings' adjoint.
      const res = results[sr.name]!;
      const num = numericSemiring(sr);
      const labels = ["query", "key", "value", "skip"];
      const acc = Array.from({ length: 4 }, () => [...sr.zero]);
      for (const label of labels) {
        const node = tiny.nodes.find((n) => n.op === "branch" && n.attrs["label"] === label)!;
        const want = bruteForce(tiny, feeds, sr, node.id, sg);
        want.forEach((w, i) => {
          sr.lanes.forEach((lane, l) => {
            const got = res.branches[label]!.lanes[lane]![i]!;
            expect(Number.isFinite(w[l]!) ? relClose(got, w[l]!, 1e-9, 1e-12) : got === w[l], `${label}[${i}] ${lane}: ${got} vs ${w[l]}`).toBe(true);
          });
          acc[i] = num.plus(acc[i]!, w);
        });
      }
      acc.forEach((a, i) =>
        sr.lanes.forEach((lane, l) => {
          const got = res.wrt["embeddings"]!.lanes[lane]![i]!;
          expect(Number.isFinite(a[l]!) ? relClose(got, a[l]!, 1e-9, 1e-12) : got === a[l]).toBe(true);
        }),
      );
    },
  );
});

describe("the paper's §5.1 finding on the trained transformer", () => {
  const { graph, config } = loadModel(example("transformer.ts"));
  const { vocab, seq } = config as { vocab: number; seq: number };
  const params = splitFeeds(graph, bindFiles(graph, [example("transformer.params.json"), example("transformer.inputs.json")])).params;
  const d = 16;
  let model: GeneratedModel;
  const ready = (async () => {
    const { js } = compileGraph(graph, { semirings: [semirings.sumprod, semirings.maxprod, semirings.maxabs], wrt: ["embeddings"] });
    model = (await importModule(js.js)).createModel(params);
  })();
  const data = makeDataset(20230, 300, vocab, seq); // unseen by training (seed 1) and its test set (seed 1001)
  const argmaxFrom = (xs: ArrayLike<number>, from: number) => {
    let best = from;
    for (let i = from; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
    return best;
  };

  test("the committed weights solve the task", async () => {
    await ready;
    const right = data.filter((ex) => (model.forward({ ids: ex.ids }) > Math.log(0.5) ? 1 : 0) === ex.label).length;
    expect(right / data.length).toBeGreaterThan(0.95);
  });

  test("in positives, the repeated token carries the top path among later tokens, through its value (or key) branch", async () => {
    await ready;
    const positives = data.filter((ex) => ex.label === 1);
    let topByMaxprod = 0, topByMaxabs = 0, topByGradient = 0;
    const branchOfTopPath: Record<string, number> = {};
    const agg = { embeddings: [1] };
    for (const ex of positives) {
      const { results } = model.run({ ids: ex.ids }, { aggregate: agg, topPath: false });
      // ⊕ over the hidden axis: one value per token (paper Eq. 3).
      if (argmaxFrom(results["maxprod"]!.aggregated!["embeddings"]!.value, 1) === ex.repeat) topByMaxprod++;
      if (argmaxFrom(results["maxabs"]!.aggregated!["embeddings"]!.value, 1) === ex.repeat) topByMaxabs++;
      const g = results["sumprod"]!.wrt["embeddings"]!.value;
      const l1 = Array.from({ length: seq }, (_, p) => g.subarray(p * d, (p + 1) * d).reduce((s, v) => s + Math.abs(v), 0));
      if (argmaxFrom(l1, 1) === ex.repeat) topByGradient++;
      // The maxprod top path from the repeated token's best element: which consumer does it enter?
      const hi = results["maxprod"]!.wrt["embeddings"]!.value.subarray(ex.repeat * d, (ex.repeat + 1) * d);
      const walk = model.run({ ids: ex.ids }, { semirings: ["maxprod"], topPath: { from: "embeddings", index: [ex.repeat, argmaxFrom(hi, 0)] } });
      const step = walk.results["maxprod"]!.topPath![1]!;
      expect(step.op).toBe("branch");
      branchOfTopPath[step.tensor] = (branchOfTopPath[step.tensor] ?? 0) + 1;
    }
    const n = positives.length;
    const share = (k: number) => `${((100 * k) / n).toFixed(1)}%`;
    console.log(
      `transformer §5.1 on ${n} positives: repeated token ranks first among later tokens by maxprod ${share(topByMaxprod)}, ` +
        `maxabs ${share(topByMaxabs)}, |gradient| ${share(topByGradient)}; its top path enters ${JSON.stringify(branchOfTopPath)}`,
    );
    // Gradient flow marks the token the answer depends on...
    expect(topByMaxprod / n).toBeGreaterThan(0.9);
    expect(topByMaxabs / n).toBeGreaterThan(0.9);
    // ...and its top path goes through the attention's key/value side, mostly through one branch.
    const [winner, count] = Object.entries(branchOfTopPath).sort((a, b) => b[1] - a[1])[0]!;
    expect(["key", "value"]).toContain(winner);
    expect(count / n).toBeGreaterThan(0.8);
  });

  test("from the first token, the top path leaves through the skip connection (the classifier reads position 0)", async () => {
    await ready;
    const branchOfTopPath: Record<string, number> = {};
    for (const ex of data) {
      const { results } = model.run({ ids: ex.ids }, { semirings: ["maxabs"], topPath: { from: "embeddings" } });
      const steps = results["maxabs"]!.topPath!;
      if (steps[0]!.index[0] !== 0) continue;
      branchOfTopPath[steps[1]!.tensor] = (branchOfTopPath[steps[1]!.tensor] ?? 0) + 1;
    }
    console.log(`transformer §5.1: overall top (maxabs) paths starting at the first token enter ${JSON.stringify(branchOfTopPath)}`);
    const total = Object.values(branchOfTopPath).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.9 * data.length);
    expect((branchOfTopPath["skip"] ?? 0) / total).toBeGreaterThan(0.5);
  });
});
