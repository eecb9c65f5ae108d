// The paper's §5.3 classifier (Du et al. 2023, Fig. 5): a BERT-style encoder of `layers` layers —
// token and position embeddings with their layer norm, then per layer multi-head self-attention
// with its output projection, residual and post-layer-norm, and the feed-forward block (GELU) with
// its residual and layer norm — and a linear classifier on position 0 with `classes` outputs
// (always 36 in the paper, so that tasks with 2 and with 5 classes are comparable).
//
// Token 0 is padding; it is an ordinary token to the model (no attention mask), which sees where a
// sequence ends from the padding itself. The label is an integer input, so one compiled module
// serves every class. Output: log p(label | ids), or with `logit: true` the raw logit of `label`
// (the quantity whose entropy fig5.ts reads at "embeddings").
//
//   npx semic run examples/paper/fig5Model.ts --params P --inputs I -s entropy --wrt embeddings --aggregate embeddings:1

import {
  add, gather, gelu, input, layerNorm, linear, logSoftmax, matmul, model, mul, name, param, reshape, slice, softmax, transpose,
  type Tensor,
} from "semic/dsl";

const EPS = 1e-12;

function attention(x: Tensor, l: number, seq: number, d: number, heads: number): Tensor {
  const dh = d / heads;
  // [seq, d] → [heads, seq, dh]
  const split = (t: Tensor) => transpose(reshape(t, [seq, heads, dh]), [1, 0, 2]);
  const q = split(linear(x, param(`l${l}_wq`, [d, d]), param(`l${l}_bq`, [d])));
  const k = split(linear(x, param(`l${l}_wk`, [d, d]), param(`l${l}_bk`, [d])));
  const v = split(linear(x, param(`l${l}_wv`, [d, d]), param(`l${l}_bv`, [d])));
  const scores = mul(matmul(q, transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh)); // [heads, seq, seq]
  const ctx = reshape(transpose(matmul(softmax(scores), v), [1, 0, 2]), [seq, d]);
  const out = linear(ctx, param(`l${l}_wo`, [d, d]), param(`l${l}_bo`, [d]));
  return layerNorm(add(x, out), param(`l${l}_ln1_g`, [d]), param(`l${l}_ln1_b`, [d]), EPS);
}

function feedForward(x: Tensor, l: number, d: number, ffn: number): Tensor {
  const h = gelu(linear(x, param(`l${l}_w1`, [ffn, d]), param(`l${l}_b1`, [ffn])));
  const out = linear(h, param(`l${l}_w2`, [d, ffn]), param(`l${l}_b2`, [d]));
  return layerNorm(add(x, out), param(`l${l}_ln2_g`, [d]), param(`l${l}_ln2_b`, [d]), EPS);
}

export default model(
  "fig5Classifier",
  { vocab: 60, seq: 36, d: 64, heads: 4, ffn: 256, layers: 2, classes: 36, logit: false },
  ({ vocab, seq, d, heads, ffn, layers, classes, logit }) => {
    const ids = input("ids", [seq], "i32");
    const label = input("label", [], "i32");
    const summed = add(gather(param("tok_emb", [vocab, d]), ids), param("pos_emb", [seq, d]));
    let h = name(layerNorm(summed, param("ln0_g", [d]), param("ln0_b", [d]), EPS), "embeddings");
    for (let l = 0; l < layers; l++) h = feedForward(attention(h, l, seq, d, heads), l, d, ffn);
    const first = reshape(slice(h, 0, 0, 1), [d]); // the classifier reads position 0 only
    const logits = linear(first, param("cls_w", [classes, d]), param("cls_b", [classes]));
    const scores = logit ? logits : logSoftmax(logits);
    return reshape(gather(reshape(scores, [classes, 1]), reshape(label, [1])), []);
  },
);
