// The paper's §5.1 classifier (Du et al. 2023, Fig. 2): a one-layer BERT-style encoder — token and
// position embeddings with their layer norm, multi-head self-attention with its output projection,
// residual and post-layer-norm, the feed-forward block (GELU) with its residual and layer norm — and
// a linear classifier on position 0. Hidden 16, 2 heads, as in the paper.
//
// The embeddings (after their layer norm) feed the four named consumers the paper reads: skip,
// query, key and value. Output: log p(target | ids), or with `logit: true` the raw logit of
// `target` (the paper's quantity of interest; training reads the log-probability).
//
//   npx semic run examples/paper/firstTokenBert.ts --params P --inputs I -s maxprod --wrt embeddings

import {
  add, branch, gather, gelu, input, layerNorm, linear, logSoftmax, matmul, model, mul, name, param, pick, reshape, slice,
  softmax, transpose, type Tensor,
} from "semic/dsl";

const EPS = 1e-12;

function attention(x: Tensor, seq: number, d: number, heads: number): Tensor {
  const dh = d / heads;
  // [seq, d] → [heads, seq, dh]
  const split = (t: Tensor) => transpose(reshape(t, [seq, heads, dh]), [1, 0, 2]);
  const q = split(linear(branch(x, "query"), param("wq", [d, d]), param("bq", [d])));
  const k = split(linear(branch(x, "key"), param("wk", [d, d]), param("bk", [d])));
  const v = split(linear(branch(x, "value"), param("wv", [d, d]), param("bv", [d])));
  const scores = mul(matmul(q, transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh)); // [heads, seq, seq]
  const ctx = reshape(transpose(matmul(softmax(scores), v), [1, 0, 2]), [seq, d]);
  const out = linear(ctx, param("wo", [d, d]), param("bo", [d]));
  return layerNorm(add(branch(x, "skip"), out), param("ln1_g", [d]), param("ln1_b", [d]), EPS);
}

function feedForward(x: Tensor, d: number, ffn: number): Tensor {
  const h = gelu(linear(x, param("w1", [ffn, d]), param("b1", [ffn])));
  const out = linear(h, param("w2", [d, ffn]), param("b2", [d]));
  return layerNorm(add(x, out), param("ln2_g", [d]), param("ln2_b", [d]), EPS);
}

export default model(
  "firstTokenBert",
  { vocab: 20, seq: 10, d: 16, heads: 2, ffn: 64, classes: 2, target: 1, logit: false },
  ({ vocab, seq, d, heads, ffn, classes, target, logit }) => {
    const ids = input("ids", [seq], "i32");
    const summed = add(gather(param("tok_emb", [vocab, d]), ids), param("pos_emb", [seq, d]));
    const x = name(layerNorm(summed, param("ln0_g", [d]), param("ln0_b", [d]), EPS), "embeddings");
    const h = feedForward(attention(x, seq, d, heads), d, ffn);
    const first = reshape(slice(h, 0, 0, 1), [d]); // the classifier reads position 0 only
    const logits = linear(first, param("cls_w", [classes, d]), param("cls_b", [classes]));
    return logit ? pick(logits, [target]) : pick(logSoftmax(logits), [target]);
  },
);
