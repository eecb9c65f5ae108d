// The small BERT-style masked LM of the §5.2 stand-in (Du et al. 2023, Fig. 4): BERT's encoder and
// masked-LM head (post-LayerNorm, exact GELU, decoder tied to the word embeddings) with Hugging Face
// `BertForMaskedLM` parameter names, so the HF importer's graph (compiler/importers/hf/bert.ts)
// reads the same weights. The word embeddings cover a compact vocabulary: the corpus's word pieces,
// renumbered 0…vocab−1 (agreement/lm.ts keeps the map to bert-base-uncased ids).
//
// Each layer's input is named layer{i} and feeds the paper's branch point: layer{i}.skip, .query,
// .key and .value. The [MASK] position `at` and the compared tokens are inputs, so one module
// serves every sentence of a length.
//   train: true   ids padded to `seq` ([PAD] keys masked out by `pad`, 0 or −10000 per position);
//                 output log p(label | ids) at `at` over the compact vocabulary (what --loss nll reads)
//   train: false  ids of exactly `seq` tokens; output logit(pair[0]) − logit(pair[1]) at `at`
//                 (the paper's quantity: the correct form minus the wrong one)

import {
  add, branch, gather, gelu, input, layerNorm, linear, logSoftmax, matmul, model, mul, name, param, pick, reshape, slice,
  softmax, sub, transpose, type Tensor,
} from "semic/dsl";

const EPS = 1e-12;

function dense(x: Tensor, prefix: string, out: number, inF: number): Tensor {
  return linear(x, param(`${prefix}.weight`, [out, inF]), param(`${prefix}.bias`, [out]));
}

function norm(x: Tensor, prefix: string, hidden: number): Tensor {
  return layerNorm(x, param(`${prefix}.weight`, [hidden]), param(`${prefix}.bias`, [hidden]), EPS);
}

export default model(
  "agreementLm",
  { layers: 2, hidden: 32, heads: 2, intermediate: 64, vocab: 128, seq: 12, maxPositions: 48, train: false },
  ({ layers, hidden, heads, intermediate, vocab, seq, maxPositions, train }) => {
    const ids = input("ids", [seq], "i32");
    const at = input("at", [1], "i32");
    const wordEmb = param("bert.embeddings.word_embeddings.weight", [vocab, hidden]);
    const positions = slice(param("bert.embeddings.position_embeddings.weight", [maxPositions, hidden]), 0, 0, seq);
    const tokenType = slice(param("bert.embeddings.token_type_embeddings.weight", [1, hidden]), 0, 0, 1);
    let x = name(norm(add(add(gather(wordEmb, ids), positions), tokenType), "bert.embeddings.LayerNorm", hidden), "layer0");
    const dh = hidden / heads;
    const pad = train ? reshape(input("pad", [seq]), [1, 1, seq]) : undefined;
    const split = (t: Tensor) => transpose(reshape(t, [seq, heads, dh]), [1, 0, 2]); // [seq, hidden] → [heads, seq, dh]

    for (let i = 0; i < layers; i++) {
      const p = `bert.encoder.layer.${i}`;
      if (i > 0) x = name(x, `layer${i}`);
      const q = split(dense(branch(x, `layer${i}.query`), `${p}.attention.self.query`, hidden, hidden));
      const k = split(dense(branch(x, `layer${i}.key`), `${p}.attention.self.key`, hidden, hidden));
      const v = split(dense(branch(x, `layer${i}.value`), `${p}.attention.self.value`, hidden, hidden));
      let scores = mul(matmul(q, transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh)); // [heads, seq, seq]
      if (train) scores = add(scores, pad as Tensor);
      const ctx = reshape(transpose(matmul(softmax(scores), v), [1, 0, 2]), [seq, hidden]);
      const a = norm(add(branch(x, `layer${i}.skip`), dense(ctx, `${p}.attention.output.dense`, hidden, hidden)), `${p}.attention.output.LayerNorm`, hidden);
      const ff = gelu(dense(a, `${p}.intermediate.dense`, intermediate, hidden));
      x = norm(add(a, dense(ff, `${p}.output.dense`, hidden, intermediate)), `${p}.output.LayerNorm`, hidden);
    }

    const masked = reshape(gather(x, at), [hidden]);
    const t = norm(gelu(dense(masked, "cls.predictions.transform.dense", hidden, hidden)), "cls.predictions.transform.LayerNorm", hidden);
    const logits = reshape(linear(t, wordEmb, param("cls.predictions.bias", [vocab])), [vocab, 1]);
    if (train) return pick(gather(logSoftmax(reshape(logits, [vocab])), input("label", [1], "i32")), [0]);
    const pair = gather(logits, input("pair", [2], "i32")); // [2, 1]
    return sub(pick(pair, [0, 0]), pick(pair, [1, 0]));
  },
);
