// A Hugging Face BERT masked-LM checkpoint directory (e.g. bert-base-uncased, or the paper's
// google/bert_uncased_L-6_H-512_A-8) as the reader's graph source, through semic's HF importer:
// its config, its own vocabulary (a corpus sentence's word pieces are looked up there, so
// bert-base-uncased checkpoints get their real ids) and its weights. One graph per sentence: the
// importer fixes the [MASK] position and the two compared tokens in the graph.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildBert } from "../../../compiler/importers/hf/bert.ts";
import { readBertConfig } from "../../../compiler/importers/hf/config.ts";
import { loadWordPiece } from "../../../compiler/importers/hf/wordpiece.ts";
import { branchPoints } from "../../../compiler/study/views.ts";
import { GraphBuilder, SemicError, type Graph } from "../../../ir/graph.ts";
import { bindTensors, loadTensorFile } from "../../../runtime/weights.ts";
import type { Sentence } from "./corpus.ts";
import type { GraphSource } from "./read.ts";

/** The graph with each branch point's tensor named layer{i} (in program order), so it can be read by name. */
export function nameLayerInputs(g: Graph): Graph {
  const sources = branchPoints(g).map((p) => p.source);
  const b = new GraphBuilder(g.name);
  const map = new Map<number, number>();
  for (const n of g.nodes) {
    const id = b.add(n.op, n.inputs.map((i) => map.get(i)!), n.attrs, n.loc);
    const layer = sources.indexOf(n.id);
    map.set(n.id, layer >= 0 ? b.add("name", [id], { label: `layer${layer}` }) : id);
  }
  return b.build(map.get(g.output)!);
}

export interface CheckpointSource extends GraphSource {
  /** The sentence's ids in the checkpoint's vocabulary, or undefined when a piece is missing there. */
  idsOf(s: Sentence): number[] | undefined;
}

export function checkpointSource(dir: string): CheckpointSource {
  const c = readBertConfig(dir);
  if (c.head !== "masked-lm") throw new SemicError("E_HF", `${dir}: fig4 reads a masked LM (BertForMaskedLM); this checkpoint is a ${c.head} model`);
  const wp = loadWordPiece(dir);
  const idsOf = (s: Sentence) => {
    const ids = s.tokens.map((t) => wp.vocab.get(t));
    return ids.every((id) => id !== undefined && id < c.vocab) ? (ids as number[]) : undefined;
  };
  const must = (s: Sentence) => {
    const ids = idsOf(s);
    if (!ids) throw new SemicError("E_HF", `${dir}: a word piece of "${s.text}" is not in the checkpoint's vocabulary`);
    return ids;
  };
  const word = (w: string) => {
    const id = wp.vocab.get(w);
    if (id === undefined) throw new SemicError("E_HF", `${dir}: the verb form "${w}" is not in the checkpoint's vocabulary`);
    return id;
  };
  const compare = (s: Sentence): [number, number] => [word(s.forms[s.plural ? 1 : 0]), word(s.forms[s.plural ? 0 : 1])];
  const weights = join(dir, "model.safetensors");
  if (!existsSync(weights)) throw new SemicError("E_HF", `${dir}: no model.safetensors (pytorch_model.bin is not read; convert it with safetensors)`);
  // Every sentence's graph has the same params: bind them once, on a graph of one token.
  const probe = buildBert(c, { seq: 1, position: 0, compare: [0, 0] });
  const expected = probe.nodes.filter((n) => n.op === "param").map((n) => ({ name: String(n.attrs["name"]), shape: n.type.shape, dtype: "f32" as const, kind: "param" as const }));
  const params = bindTensors(expected, loadTensorFile(weights), weights, { allowExtra: true }).tensors;
  return {
    layers: c.layers,
    params,
    idsOf,
    key: (s) => `${s.ids.length} ${s.mask} ${compare(s).join(" ")}`,
    graph: (s) => nameLayerInputs(buildBert(c, { seq: s.ids.length, position: s.mask, compare: compare(s) })),
    inputs: (s) => ({ input_ids: must(s) }),
  };
}
