// A BERT encoder with its masked-LM head (Devlin et al. 2019), as studied in the paper's §5.2
// (Du et al. 2023). Parameter names and layouts are those of Hugging Face `BertForMaskedLM`
// checkpoints ([out, in] linear weights; decoder tied to the word embeddings), so a converted
// checkpoint binds by name. Post-LayerNorm (eps 1e-12), exact GELU, no attention mask (every
// position is a real token), token type 0 everywhere.
//
// Output: log p(target | ids) at position maskPos. The embeddings output is named "embeddings";
// each layer's attention input feeds the branches layer{i}.skip/query/key/value and its FFN input
// feeds layer{i}.ffn_skip/ffn.
//
// Small random default (examples/scripts/makeBertWeights.ts); bert-base-like sizes with
//   --config layers=6 --config hidden=512 --config heads=8 --config intermediate=2048 --config vocab=30522

import {
  add, branch, gather, gelu, input, layerNorm, linear, logSoftmax, matmul, model, mul, name, param, pick, reshape, slice,
  softmax, transpose, type Tensor,
} from "semic/dsl";

const EPS = 1e-12;

/** A Hugging Face Linear: `${prefix}.weight` [out, in] and `${prefix}.bias` [out]. */
function dense(x: Tensor, prefix: string, out: number, inF: number): Tensor {
  return linear(x, param(`${prefix}.weight`, [out, inF]), param(`${prefix}.bias`, [out]));
}

function norm(x: Tensor, prefix: string, hidden: number): Tensor {
  return layerNorm(x, param(`${prefix}.weight`, [hidden]), param(`${prefix}.bias`, [hidden]), EPS);
}

/** BertSelfAttention + BertSelfOutput of layer `prefix`, from its four named consumers of x. */
function attention(x: Tensor, prefix: string, tag: string, seq: number, hidden: number, heads: number): Tensor {
  const dh = hidden / heads;
  // [seq, hidden] → [heads, seq, dh]
  const split = (t: Tensor) => transpose(reshape(t, [seq, heads, dh]), [1, 0, 2]);
  const q = split(dense(branch(x, `${tag}.query`), `${prefix}.attention.self.query`, hidden, hidden));
  const k = split(dense(branch(x, `${tag}.key`), `${prefix}.attention.self.key`, hidden, hidden));
  const v = split(dense(branch(x, `${tag}.value`), `${prefix}.attention.self.value`, hidden, hidden));
  const scores = mul(matmul(q, transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh)); // [heads, seq, seq]
  const ctx = reshape(transpose(matmul(softmax(scores), v), [1, 0, 2]), [seq, hidden]);
  const out = dense(ctx, `${prefix}.attention.output.dense`, hidden, hidden);
  return norm(add(branch(x, `${tag}.skip`), out), `${prefix}.attention.output.LayerNorm`, hidden);
}

/** BertIntermediate + BertOutput. */
function feedForward(x: Tensor, prefix: string, tag: string, hidden: number, intermediate: number): Tensor {
  const h = gelu(dense(branch(x, `${tag}.ffn`), `${prefix}.intermediate.dense`, intermediate, hidden));
  const out = dense(h, `${prefix}.output.dense`, hidden, intermediate);
  return norm(add(branch(x, `${tag}.ffn_skip`), out), `${prefix}.output.LayerNorm`, hidden);
}

export default model(
  "bert",
  { layers: 2, hidden: 32, heads: 4, intermediate: 64, vocab: 50, seq: 8, maxPositions: 512, typeVocab: 2, maskPos: 3, target: 7 },
  ({ layers, hidden, heads, intermediate, vocab, seq, maxPositions, typeVocab, maskPos, target }) => {
    const ids = input("ids", [seq], "i32");
    const wordEmb = param("bert.embeddings.word_embeddings.weight", [vocab, hidden]);
    const positions = slice(param("bert.embeddings.position_embeddings.weight", [maxPositions, hidden]), 0, 0, seq);
    const tokenType = slice(param("bert.embeddings.token_type_embeddings.weight", [typeVocab, hidden]), 0, 0, 1); // type 0
    const summed = add(add(gather(wordEmb, ids), positions), tokenType);
    let x = name(norm(summed, "bert.embeddings.LayerNorm", hidden), "embeddings");

    for (let i = 0; i < layers; i++) {
      const prefix = `bert.encoder.layer.${i}`;
      x = attention(x, prefix, `layer${i}`, seq, hidden, heads);
      x = feedForward(x, prefix, `layer${i}`, hidden, intermediate);
    }

    // BertOnlyMLMHead at the masked position only: transform, then the decoder tied to wordEmb.
    const masked = reshape(slice(x, 0, maskPos, maskPos + 1), [hidden]);
    const t = norm(gelu(dense(masked, "cls.predictions.transform.dense", hidden, hidden)), "cls.predictions.transform.LayerNorm", hidden);
    const logits = linear(t, wordEmb, param("cls.predictions.bias", [vocab]));
    return pick(logSoftmax(logits), [target]);
  },
);
