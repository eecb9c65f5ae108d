// The graph of a Hugging Face BERT checkpoint for one sentence: parameter names and layouts are the
// checkpoint's, so model.safetensors binds by name. The embeddings' output is named "embeddings",
// each layer's attention input feeds the branches layer{i}.skip/query/key/value. The output is the
// paper's quantity: a logit difference (two tokens at [MASK], or two classes of a classifier).

import { GraphBuilder, type Graph } from "../../../ir/graph.ts";
import type { BertConfig } from "./config.ts";

export interface BertTask {
  readonly seq: number;
  /** Masked LM: the [MASK] position; a classifier reads position 0. */
  readonly position: number;
  /** The two logits compared: output = logit[a] − logit[b]. */
  readonly compare: readonly [number, number];
}

export function buildBert(c: BertConfig, task: BertTask, name = "bert"): Graph {
  const b = new GraphBuilder(name);
  const param = (n: string, shape: number[]) => b.add("param", [], { name: n, shape });
  const dense = (x: number, prefix: string, out: number, inF: number) => b.add("linear", [x, param(`${prefix}.weight`, [out, inF]), param(`${prefix}.bias`, [out])]);
  const norm = (x: number, prefix: string) => b.add("layer_norm", [x, param(`${prefix}.weight`, [c.hidden]), param(`${prefix}.bias`, [c.hidden])], { eps: c.eps });
  const { seq, hidden: h, heads } = { seq: task.seq, hidden: c.hidden, heads: c.heads };
  const dh = h / heads;

  const ids = b.add("input", [], { name: "input_ids", shape: [seq], dtype: "i32" });
  const wordEmb = param("bert.embeddings.word_embeddings.weight", [c.vocab, h]);
  const positions = b.add("slice", [param("bert.embeddings.position_embeddings.weight", [c.maxPositions, h])], { axis: 0, start: 0, end: seq });
  const tokenType = b.add("slice", [param("bert.embeddings.token_type_embeddings.weight", [c.typeVocab, h])], { axis: 0, start: 0, end: 1 });
  const summed = b.add("add", [b.add("add", [b.add("gather", [wordEmb, ids]), positions]), tokenType]);
  let x = b.add("name", [norm(summed, "bert.embeddings.LayerNorm")], { label: "embeddings" });

  const split = (t: number) => b.add("transpose", [b.add("reshape", [t], { shape: [seq, heads, dh] })], { perm: [1, 0, 2] });
  for (let i = 0; i < c.layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    const br = (label: string) => b.add("branch", [x], { label: `layer${i}.${label}` });
    const q = split(dense(br("query"), `${p}.attention.self.query`, h, h));
    const k = split(dense(br("key"), `${p}.attention.self.key`, h, h));
    const v = split(dense(br("value"), `${p}.attention.self.value`, h, h));
    const scale = b.add("constant", [], { shape: [], values: [1 / Math.sqrt(dh)] });
    const scores = b.add("mul", [b.add("matmul", [q, b.add("transpose", [k], { perm: [0, 2, 1] })]), scale]);
    const ctx = b.add("reshape", [b.add("transpose", [b.add("matmul", [b.add("softmax", [scores]), v])], { perm: [1, 0, 2] })], { shape: [seq, h] });
    const a = norm(b.add("add", [br("skip"), dense(ctx, `${p}.attention.output.dense`, h, h)]), `${p}.attention.output.LayerNorm`);
    const ff = b.add("gelu", [dense(a, `${p}.intermediate.dense`, c.intermediate, h)], { approximate: c.gelu });
    x = norm(b.add("add", [a, dense(ff, `${p}.output.dense`, h, c.intermediate)]), `${p}.output.LayerNorm`);
  }

  const at = b.add("reshape", [b.add("slice", [x], { axis: 0, start: task.position, end: task.position + 1 })], { shape: [h] });
  let logits: number;
  if (c.head === "masked-lm") {
    const t = norm(b.add("gelu", [dense(at, "cls.predictions.transform.dense", h, h)], { approximate: c.gelu }), "cls.predictions.transform.LayerNorm");
    logits = b.add("linear", [t, wordEmb, param("cls.predictions.bias", [c.vocab])]);
  } else {
    const pooled = b.add("tanh", [dense(at, "bert.pooler.dense", h, h)]);
    logits = dense(pooled, "classifier", c.labels.length, h);
  }
  const [ia, ib] = task.compare;
  return b.build(b.add("sub", [b.add("pick", [logits], { index: [ia] }), b.add("pick", [logits], { index: [ib] })]));
}
