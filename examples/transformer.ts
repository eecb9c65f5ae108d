// The paper's §5.1 model (Du et al. 2023, "Generalizing Backpropagation for Gradient-Based
// Interpretability"): a one-layer self-attention transformer that classifies a token sequence
// from its FIRST position. Trained here (examples/scripts/trainTransformer.ts) on the synthetic
// task "does the first token appear again later in the sequence?" (class 1 = yes).
//
// The embeddings feed four named consumers (paper §4.2, Fig. 2): the skip connection and the
// query, key and value projections, so each one's share of the gradient (or of the top path)
// can be read with `--semiring sumprod,maxprod`. Output: log p(target | ids).
//
//   semic run examples/transformer.ts --params examples/transformer.params.json \
//     --inputs examples/transformer.inputs.json --semiring sumprod,maxprod --wrt embeddings

import {
  add, branch, gather, input, layerNorm, linear, logSoftmax, matmul, model, mul, name, param, pick, reshape, slice, softmax,
  transpose, type Tensor,
} from "semic/dsl";

/** Multi-head self-attention from separate query/key/value inputs (the named branches). */
function attention(xq: Tensor, xk: Tensor, xv: Tensor, seq: number, d: number, heads: number): Tensor {
  const dh = d / heads;
  // [seq, d] → [heads, seq, dh]
  const split = (t: Tensor) => transpose(reshape(t, [seq, heads, dh]), [1, 0, 2]);
  const q = split(linear(xq, param("wq", [d, d]), param("bq", [d])));
  const k = split(linear(xk, param("wk", [d, d]), param("bk", [d])));
  const v = split(linear(xv, param("wv", [d, d]), param("bv", [d])));
  const scores = mul(matmul(q, transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh)); // [heads, seq, seq]
  const ctx = matmul(softmax(scores), v); // [heads, seq, dh]
  const merged = reshape(transpose(ctx, [1, 0, 2]), [seq, d]);
  return linear(merged, param("wo", [d, d]), param("bo", [d]));
}

export default model(
  "transformer",
  { vocab: 12, seq: 6, d: 16, heads: 1, classes: 2, target: 1, layerNorm: false },
  ({ vocab, seq, d, heads, classes, target, layerNorm: withNorm }) => {
    const ids = input("ids", [seq], "i32");
    const x = name(add(gather(param("tok_emb", [vocab, d]), ids), param("pos_emb", [seq, d])), "embeddings");
    const att = attention(branch(x, "query"), branch(x, "key"), branch(x, "value"), seq, d, heads);
    let h = add(branch(x, "skip"), att);
    if (withNorm) h = layerNorm(h, param("ln_g", [d]), param("ln_b", [d]));
    const first = reshape(slice(h, 0, 0, 1), [d]); // the classifier reads position 0 only
    const logits = linear(first, param("cls_w", [classes, d]), param("cls_b", [classes]));
    return pick(logSoftmax(logits), [target]);
  },
);
