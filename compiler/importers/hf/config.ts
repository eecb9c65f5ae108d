// config.json of a Hugging Face BERT-family checkpoint: the sizes and the head semic builds.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SemicError } from "../../../ir/graph.ts";

export interface BertConfig {
  readonly head: "masked-lm" | "sequence-classification";
  readonly vocab: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly maxPositions: number;
  readonly typeVocab: number;
  readonly eps: number;
  readonly gelu: "erf" | "tanh";
  /** Class names of a classifier (id2label), by index. */
  readonly labels: readonly string[];
}

const heads: Record<string, BertConfig["head"]> = { BertForMaskedLM: "masked-lm", BertForSequenceClassification: "sequence-classification" };
const gelus: Record<string, BertConfig["gelu"]> = { gelu: "erf", gelu_new: "tanh", gelu_pytorch_tanh: "tanh" };

export function readBertConfig(dir: string): BertConfig {
  const file = join(dir, "config.json");
  if (!existsSync(file)) throw new SemicError("E_HF", `${dir}: no config.json (a Hugging Face checkpoint directory has config.json, model.safetensors and a tokenizer)`);
  const c = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new SemicError("E_HF", `${file}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  if (c["model_type"] !== "bert") throw new SemicError("E_HF", `${file}: model_type ${JSON.stringify(c["model_type"])} is not supported (semic builds BERT)`);
  const arch = ((c["architectures"] as string[] | undefined) ?? []).find((a) => a in heads);
  if (!arch) throw new SemicError("E_HF", `${file}: architectures ${JSON.stringify(c["architectures"])}: semic builds ${Object.keys(heads).join(" and ")}`);
  const act = JSON.stringify(c["hidden_act"] ?? "gelu").replace(/^"|"$/g, "");
  if (!(act in gelus)) throw new SemicError("E_HF", `${file}: hidden_act "${act}" is not supported (${Object.keys(gelus).join(", ")})`);
  const pos = c["position_embedding_type"] ?? "absolute";
  if (pos !== "absolute") throw new SemicError("E_HF", `${file}: position_embedding_type ${JSON.stringify(pos)} is not supported (absolute only)`);
  const id2label = (c["id2label"] ?? {}) as Record<string, string>;
  const hidden = int("hidden_size"), nHeads = int("num_attention_heads");
  if (hidden % nHeads !== 0) throw new SemicError("E_HF", `${file}: hidden_size ${hidden} is not a multiple of num_attention_heads ${nHeads}`);
  return {
    head: heads[arch]!,
    vocab: int("vocab_size"),
    hidden,
    layers: int("num_hidden_layers"),
    heads: nHeads,
    intermediate: int("intermediate_size"),
    maxPositions: int("max_position_embeddings", 512),
    typeVocab: int("type_vocab_size", 2),
    eps: typeof c["layer_norm_eps"] === "number" ? c["layer_norm_eps"] : 1e-12,
    gelu: gelus[act]!,
    labels: Object.keys(id2label).length > 0 ? Object.entries(id2label).sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v) : ["LABEL_0", "LABEL_1"],
  };
}
