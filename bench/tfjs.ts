// The benchmark models written again in TensorFlow.js ops, on the same parameters (same names as
// the DSL files). Each takes the tensor semic differentiates with respect to ("embeddings" for the
// transformers, the input "x" for the MLP) as its differentiable input and returns the scalar
// output, so tf.grad(f)(x) is the gradient semic's sumprod computes.

import type * as TF from "@tensorflow/tfjs-core";

type Tf = typeof TF;
type T = TF.Tensor;
export type Params = Record<string, T>;

export interface TfModel {
  /**
   * Setup, not timed: linear weights [out, in] are also stored transposed ([in, out], under
   * "<name>ᵀ"), because TF.js's matMul with transposeB is several times slower than without
   * (14× on the wasm backend at BERT sizes): TF.js gets its fastest layout.
   */
  prepare(tf: Tf, P: Params): void;
  /** The differentiable input, computed from params and inputs like the DSL model does. */
  input(tf: Tf, P: Params, inputs: Record<string, number[]>): T;
  /** The scalar output from that input. */
  f(tf: Tf, P: Params, x: T): T;
}

/**
 * x·wᵀ + b, with w's transpose stored by prepare(). Its gradient with respect to x is given
 * explicitly as dy·w (w as stored, [out, in]): TF.js's own MatMul gradient would multiply by the
 * transpose of wᵀ through its slow transposeB path. Only x is differentiated in these benchmarks.
 */
function linear(tf: Tf, P: Params, x: T, w: string, b: string): T {
  const f = (xi: T) => ({
    value: tf.add(tf.matMul(xi, P[`${w}ᵀ`]!), P[b]!),
    gradFunc: (dy: T | T[]) => tf.matMul(dy as T, P[w]!),
  });
  return tf.customGrad(f as unknown as Parameters<Tf["customGrad"]>[0])(x) as T;
}
const dense = (tf: Tf, P: Params, x: T, prefix: string) => linear(tf, P, x, `${prefix}.weight`, `${prefix}.bias`);

function transposeLinear(tf: Tf, P: Params, names: readonly string[]): void {
  for (const n of names) P[`${n}ᵀ`] = tf.transpose(P[n]!);
}

/** LayerNorm over the last axis, biased variance (as the DSL's layerNorm). */
function layerNorm(tf: Tf, x: T, gamma: T, beta: T, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** Exact (erf) GELU. */
const gelu = (tf: Tf, x: T) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

/** Multi-head self-attention: [seq, d] → [seq, d] context before the output projection. */
function attend(tf: Tf, q: T, k: T, v: T, seq: number, d: number, heads: number): T {
  const dh = d / heads;
  const split = (t: T, perm: number[]) => tf.transpose(tf.reshape(t, [seq, heads, dh]), perm);
  // [heads, seq, dh] · [heads, dh, seq]
  const scores = tf.mul(tf.matMul(split(q, [1, 0, 2]), split(k, [1, 2, 0])), 1 / Math.sqrt(dh));
  const ctx = tf.matMul(tf.softmax(scores), split(v, [1, 0, 2]));
  return tf.reshape(tf.transpose(ctx, [1, 0, 2]), [seq, d]);
}

/** examples/bert.ts: BERT encoder + MLM head at maskPos, Hugging Face names. */
export function bert(cfg: { layers: number; hidden: number; heads: number; seq: number; maskPos: number; target: number }): TfModel {
  const { layers, hidden, heads, seq, maskPos, target } = cfg;
  const EPS = 1e-12;
  const norm = (tf: Tf, P: Params, x: T, prefix: string) => layerNorm(tf, x, P[`${prefix}.weight`]!, P[`${prefix}.bias`]!, EPS);
  return {
    prepare(tf, P) {
      const names = Object.keys(P).filter((n) => /(query|key|value|dense)\.weight$/.test(n));
      transposeLinear(tf, P, [...names, "bert.embeddings.word_embeddings.weight"]);
    },
    input(tf, P, inputs) {
      const ids = tf.tensor1d(inputs["ids"]!, "int32");
      const words = tf.gather(P["bert.embeddings.word_embeddings.weight"]!, ids);
      const pos = tf.slice(P["bert.embeddings.position_embeddings.weight"]!, [0, 0], [seq, hidden]);
      const type0 = tf.slice(P["bert.embeddings.token_type_embeddings.weight"]!, [0, 0], [1, hidden]);
      return norm(tf, P, tf.add(tf.add(words, pos), type0), "bert.embeddings.LayerNorm");
    },
    f(tf, P, emb) {
      let x = emb;
      for (let i = 0; i < layers; i++) {
        const p = `bert.encoder.layer.${i}`;
        const q = dense(tf, P, x, `${p}.attention.self.query`);
        const k = dense(tf, P, x, `${p}.attention.self.key`);
        const v = dense(tf, P, x, `${p}.attention.self.value`);
        const att = dense(tf, P, attend(tf, q, k, v, seq, hidden, heads), `${p}.attention.output.dense`);
        x = norm(tf, P, tf.add(x, att), `${p}.attention.output.LayerNorm`);
        const h = gelu(tf, dense(tf, P, x, `${p}.intermediate.dense`));
        x = norm(tf, P, tf.add(x, dense(tf, P, h, `${p}.output.dense`)), `${p}.output.LayerNorm`);
      }
      const masked = tf.slice(x, [maskPos, 0], [1, hidden]);
      const t = norm(tf, P, gelu(tf, dense(tf, P, masked, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm");
      const logits = linear(tf, P, t, "bert.embeddings.word_embeddings.weight", "cls.predictions.bias");
      return tf.reshape(tf.slice(tf.logSoftmax(logits), [0, target], [1, 1]), []);
    },
  };
}

/** examples/transformer.ts: the paper's one-layer transformer, classifying from position 0. */
export function transformer(cfg: { seq: number; d: number; heads: number; target: number; layerNorm: boolean }): TfModel {
  const { seq, d, heads, target } = cfg;
  return {
    prepare(tf, P) {
      transposeLinear(tf, P, ["wq", "wk", "wv", "wo", "cls_w"]);
    },
    input(tf, P, inputs) {
      const ids = tf.tensor1d(inputs["ids"]!, "int32");
      return tf.add(tf.gather(P["tok_emb"]!, ids), P["pos_emb"]!);
    },
    f(tf, P, x) {
      const q = linear(tf, P, x, "wq", "bq"), k = linear(tf, P, x, "wk", "bk"), v = linear(tf, P, x, "wv", "bv");
      let h = tf.add(x, linear(tf, P, attend(tf, q, k, v, seq, d, heads), "wo", "bo"));
      if (cfg.layerNorm) h = layerNorm(tf, h, P["ln_g"]!, P["ln_b"]!, 1e-5);
      const logits = linear(tf, P, tf.slice(h, [0, 0], [1, d]), "cls_w", "cls_b");
      return tf.reshape(tf.slice(tf.logSoftmax(logits), [0, target], [1, 1]), []);
    },
  };
}

/** examples/mlp.ts: x[4] → linear → relu → linear → logSoftmax → pick(target). */
export function mlp(cfg: { target: number }): TfModel {
  return {
    prepare(tf, P) {
      transposeLinear(tf, P, ["w1", "w2"]);
    },
    input(tf, _P, inputs) {
      return tf.tensor2d(inputs["x"]!, [1, inputs["x"]!.length]);
    },
    f(tf, P, x) {
      const h = tf.relu(linear(tf, P, x, "w1", "b1"));
      const logits = linear(tf, P, h, "w2", "b2");
      return tf.reshape(tf.slice(tf.logSoftmax(logits), [0, cfg.target], [1, 1]), []);
    },
  };
}
