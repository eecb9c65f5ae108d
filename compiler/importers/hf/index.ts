// A Hugging Face BERT checkpoint directory (config.json, model.safetensors, vocab.txt or
// tokenizer.json) and a sentence → the graph, its weights and the token ids. The output is the
// paper's quantity: logit[a] − logit[b] at [MASK] (masked LM) or between two classes.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { SemicError, type Graph } from "../../../ir/graph.ts";
import { bindTensors, loadTensorFile } from "../../../runtime/weights.ts";
import { buildBert } from "./bert.ts";
import { readBertConfig, type BertConfig } from "./config.ts";
import { idOf, loadWordPiece, tokenize } from "./wordpiece.ts";

export interface HfOptions {
  readonly text?: string;
  readonly compare?: readonly string[];
}

export interface HfModel {
  readonly graph: Graph;
  readonly params: Record<string, Float32Array>;
  readonly inputs: Record<string, Int32Array>;
  readonly idRanges: Record<string, number>;
  readonly tokens: readonly string[];
}

function compared(c: BertConfig, names: readonly string[] | undefined, byToken: (t: string) => number): [number, number] {
  const what = c.head === "masked-lm" ? "two tokens, e.g. --compare are,is" : `two classes (${c.labels.join(", ")} or their indices)`;
  if (!names || names.length !== 2) throw new SemicError("E_CLI", `--compare: give ${what}`);
  const one = (n: string) => {
    if (c.head === "masked-lm") return byToken(n);
    const k = c.labels.indexOf(n);
    const i = k >= 0 ? k : Number(n);
    if (!Number.isInteger(i) || i < 0 || i >= c.labels.length) throw new SemicError("E_CLI", `--compare: "${n}" is not a class of this classifier (${c.labels.join(", ")})`);
    return i;
  };
  return [one(names[0]!), one(names[1]!)];
}

export function loadHf(dir: string, opts: HfOptions): HfModel {
  const c = readBertConfig(dir);
  const wp = loadWordPiece(dir);
  if (opts.text === undefined) throw new SemicError("E_CLI", `--text is required for a checkpoint directory (${dir}), e.g. --text "the keys to the cabinet [MASK] on the table"`);
  const tokens = tokenize(opts.text, wp);
  if (tokens.length > c.maxPositions) throw new SemicError("E_CLI", `--text: ${tokens.length} tokens, more than max_position_embeddings ${c.maxPositions}`);
  const ids = tokens.map((t) => idOf(t, wp, "--text"));
  for (const id of ids) if (id >= c.vocab) throw new SemicError("E_HF", `${dir}: token id ${id} is outside vocab_size ${c.vocab}`);
  let position = 0;
  if (c.head === "masked-lm") {
    const masks = tokens.flatMap((t, i) => (t === "[MASK]" ? [i] : []));
    if (masks.length !== 1) throw new SemicError("E_CLI", `--text: a masked LM needs exactly one [MASK], found ${masks.length} in "${opts.text}"`);
    position = masks[0]!;
  }
  const byToken = (t: string) => idOf(wp.lowerCase ? t.toLowerCase() : t, wp, "--compare");
  const graph = buildBert(c, { seq: tokens.length, position, compare: compared(c, opts.compare, byToken) });

  const weights = join(dir, "model.safetensors");
  if (!existsSync(weights)) throw new SemicError("E_HF", `${dir}: no model.safetensors (pytorch_model.bin is not read; convert it with safetensors)`);
  const expected = graph.nodes.filter((n) => n.op === "param").map((n) => ({ name: String(n.attrs["name"]), shape: n.type.shape, dtype: "f32" as const, kind: "param" as const }));
  const bound = bindTensors(expected, loadTensorFile(weights), weights, { allowExtra: true });
  const params = Object.fromEntries(Object.entries(bound.tensors).map(([k, v]) => [k, Float32Array.from(v)]));
  return { graph, params, inputs: { input_ids: Int32Array.from(ids) }, idRanges: { input_ids: c.vocab }, tokens };
}
