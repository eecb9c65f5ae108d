// Hugging Face checkpoint directories: a BertForMaskedLM written by scripts/onnx-fixtures.py from
// plain torch (config.json, vocab.txt, model.safetensors, torch's logit difference and gradient),
// and a directory the test writes itself in the same layout with tokenizer.json instead of
// vocab.txt. The paper's quantity (logit[are] − logit[is] at [MASK]) and its gradient equal torch's.

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadHf } from "../../compiler/importers/hf/index.ts";
import { loadWordPiece, tokenize } from "../../compiler/importers/hf/wordpiece.ts";
import { semiringByName } from "../../ir/semirings/index.ts";
import { loadTensorFile, writeSafetensors } from "../../runtime/weights.ts";
import { compileAndLoad, expectLanesClose } from "../oracle/check.ts";
import type { GeneratedModel } from "../../compiler/compile.ts";

const FIX = fileURLToPath(new URL("../fixtures/onnx/hf-bert/", import.meta.url));
const expected = JSON.parse(readFileSync(join(FIX, "expected.json"), "utf8")) as {
  text: string; compare: string[]; ids: number[]; value: number; embeddingsGrad: number[][];
};

/** The fixture rewritten by this test in Hugging Face's layout, with tokenizer.json for the vocabulary. */
function writtenCheckpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), "semic-hf-"));
  copyFileSync(join(FIX, "config.json"), join(dir, "config.json"));
  const vocab = readFileSync(join(FIX, "vocab.txt"), "utf8").trim().split("\n");
  const tokenizer = { version: "1.0", normalizer: { type: "BertNormalizer", lowercase: true }, model: { type: "WordPiece", unk_token: "[UNK]", vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) } };
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  const tensors = Object.fromEntries([...loadTensorFile(join(FIX, "model.safetensors"))].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
  // A pretraining checkpoint's extra tensors (pooler, NSP head) are ignored.
  tensors["bert.pooler.dense.bias"] = { shape: [8], data: new Float32Array(8) };
  writeFileSync(join(dir, "model.safetensors"), writeSafetensors(tensors));
  return dir;
}

describe.each([
  ["the committed checkpoint (vocab.txt)", () => FIX],
  ["a checkpoint written by the test (tokenizer.json)", writtenCheckpoint],
])("%s", (_what, dir) => {
  test("tokens, logit difference at [MASK] and its gradient equal torch's", async () => {
    const m = loadHf(dir(), { text: expected.text, compare: expected.compare });
    expect([...m.inputs["input_ids"]!]).toEqual(expected.ids);
    const { mod } = await compileAndLoad(m.graph, [semiringByName("sumprod", { k: 3 })], ["embeddings"]);
    const model: GeneratedModel = mod.createModel(m.params);
    const { output, results } = model.run(m.inputs);
    expect(output).toBeCloseTo(expected.value, 5);
    expectLanesClose(results["sumprod"]!.wrt["embeddings"]!.value, expected.embeddingsGrad.flat(), 1e-4, "∂/∂embeddings", 1e-6);
  });
});

test("a sequence classifier: logit difference between two classes by id2label name or index equals torch's", async () => {
  const dir = fileURLToPath(new URL("../fixtures/onnx/hf-bert-cls/", import.meta.url));
  const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as { text: string; compare: string[]; value: number };
  for (const compare of [exp.compare, ["2", "0"]]) {
    const m = loadHf(dir, { text: exp.text, compare });
    const { mod } = await compileAndLoad(m.graph, [semiringByName("sumprod", { k: 3 })], ["embeddings"]);
    const model: GeneratedModel = mod.createModel(m.params);
    expect(model.run(m.inputs).output).toBeCloseTo(exp.value, 5);
  }
  expect(() => loadHf(dir, { text: exp.text, compare: ["positive", "happy"] })).toThrow(/"happy" is not a class of this classifier \(negative, neutral, positive\)/);
});

describe("the tokenizer and the errors", () => {
  test("WordPiece: lower case, accents, punctuation, sub-words, unknown words", () => {
    const wp = loadWordPiece(FIX);
    expect(tokenize("The Kéys, to the CABINET [MASK] on the table.", wp)).toEqual(
      ["[CLS]", "the", "keys", ",", "to", "the", "cab", "##inet", "[MASK]", "on", "the", "table", ".", "[SEP]"],
    );
    expect(tokenize("zebra keys", wp)).toEqual(["[CLS]", "[UNK]", "keys", "[SEP]"]);
  });

  test.each([
    [{ text: "the [MASK] [MASK]", compare: ["are", "is"] }, /a masked LM needs exactly one \[MASK\], found 2/],
    [{ text: "the keys [MASK]", compare: ["are", "were"] }, /--compare: "were" is not in the vocabulary/],
    [{ text: "the keys [MASK]", compare: ["are"] }, /--compare: give two tokens, e.g. --compare are,is/],
    [{ compare: ["are", "is"] }, /--text is required for a checkpoint directory/],
  ])("%j", (opts, message) => {
    expect(() => loadHf(FIX, opts)).toThrow(message);
  });

  test("an unsupported model type names the file and what is built", () => {
    const dir = mkdtempSync(join(tmpdir(), "semic-hf-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "gpt2", architectures: ["GPT2LMHeadModel"] }));
    expect(() => loadHf(dir, { text: "a", compare: ["a", "b"] })).toThrow(/config.json: model_type "gpt2" is not supported \(semic builds BERT\)/);
  });
});
