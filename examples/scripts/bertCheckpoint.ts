// The tensors of a Hugging Face BERT checkpoint, listed from the HF module structure (not from
// examples/bert.ts, so that binding one to the other checks the names), and seeded random weights
// initialised as BERT does: N(0, 0.02) for matrices and embeddings, biases 0, LayerNorm weight 1.

import { gaussian, rng } from "./firstTokenTask.ts";

export interface BertSizes {
  layers: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  typeVocab: number;
}

export const smallBert: BertSizes = { layers: 2, hidden: 32, intermediate: 64, vocab: 50, maxPositions: 512, typeVocab: 2 };

/**
 * Name → shape of a `BertForMaskedLM` state dict. With `pretraining`, also the tensors a
 * `BertForPreTraining` checkpoint (e.g. bert-base-uncased) adds: the pooler, the next-sentence
 * head and the (tied) decoder weight, which a model of the MLM output does not use.
 */
export function hfBertShapes(c: BertSizes, opts: { pretraining?: boolean } = {}): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const linearT = (prefix: string, outF: number, inF: number) => {
    out.set(`${prefix}.weight`, [outF, inF]);
    out.set(`${prefix}.bias`, [outF]);
  };
  const layerNormT = (prefix: string) => {
    out.set(`${prefix}.weight`, [c.hidden]);
    out.set(`${prefix}.bias`, [c.hidden]);
  };
  out.set("bert.embeddings.word_embeddings.weight", [c.vocab, c.hidden]);
  out.set("bert.embeddings.position_embeddings.weight", [c.maxPositions, c.hidden]);
  out.set("bert.embeddings.token_type_embeddings.weight", [c.typeVocab, c.hidden]);
  layerNormT("bert.embeddings.LayerNorm");
  for (let i = 0; i < c.layers; i++) {
    const l = `bert.encoder.layer.${i}`;
    for (const p of ["query", "key", "value"]) linearT(`${l}.attention.self.${p}`, c.hidden, c.hidden);
    linearT(`${l}.attention.output.dense`, c.hidden, c.hidden);
    layerNormT(`${l}.attention.output.LayerNorm`);
    linearT(`${l}.intermediate.dense`, c.intermediate, c.hidden);
    linearT(`${l}.output.dense`, c.hidden, c.intermediate);
    layerNormT(`${l}.output.LayerNorm`);
  }
  linearT("cls.predictions.transform.dense", c.hidden, c.hidden);
  layerNormT("cls.predictions.transform.LayerNorm");
  out.set("cls.predictions.bias", [c.vocab]);
  if (opts.pretraining) {
    out.set("cls.predictions.decoder.weight", [c.vocab, c.hidden]);
    out.set("cls.predictions.decoder.bias", [c.vocab]);
    linearT("bert.pooler.dense", c.hidden, c.hidden);
    linearT("cls.seq_relationship", 2, c.hidden);
  }
  return out;
}

/** BERT's initialisation (seeded): what `writeSafetensors` takes. */
export function randomBertWeights(shapes: ReadonlyMap<string, number[]>, seed = 0): Record<string, { shape: number[]; data: Float32Array }> {
  const rand = rng(seed);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.includes("LayerNorm");
    const data =
      isNorm && name.endsWith(".weight")
        ? new Float32Array(size).fill(1)
        : name.endsWith(".bias")
          ? new Float32Array(size)
          : Float32Array.from({ length: size }, () => 0.02 * gaussian(rand));
    out[name] = { shape, data };
  }
  return out;
}
