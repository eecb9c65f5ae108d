// Training the agreement masked LM (maskedLm.ts) with compiler/train on the generated corpus, and
// its agreement accuracy: logit(correct form) > logit(wrong form) at [MASK].
//
// The embedding covers a compact vocabulary: every word piece the corpus can produce, numbered
// 0…V−1 in the order of their bert-base-uncased ids (the model never sees the other 30k pieces;
// a real checkpoint reads bert-base-uncased's ids instead, see checkpoint.ts).

import { fileURLToPath } from "node:url";
import { compileGraph, importModule } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend/index.ts";
import { semirings } from "../../../ir/semirings/index.ts";
import { train, type Progress } from "../../../compiler/train/train.ts";
import { corpusPieces, type Sentence } from "./corpus.ts";
import type { GraphSource } from "./read.ts";
import { bertUncased } from "./vocab.ts";

export const LM_MODEL = fileURLToPath(new URL("./maskedLm.ts", import.meta.url));

export interface LmSizes {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
}

export interface TrainSettings {
  readonly epochs: number;
  readonly lr: number;
  readonly batch: number;
  readonly seed: number;
}

/** The corpus's word pieces by bert-base-uncased id, renumbered 0…V−1. */
export class CompactVocab {
  readonly bertIds: readonly number[];
  readonly #compact: ReadonlyMap<number, number>;

  constructor() {
    const wp = bertUncased();
    this.bertIds = corpusPieces().map((p) => wp.vocab.get(p)!).sort((a, b) => a - b);
    this.#compact = new Map(this.bertIds.map((id, i) => [id, i]));
  }

  get size(): number {
    return this.bertIds.length;
  }

  of(bertId: number): number {
    const c = this.#compact.get(bertId);
    if (c === undefined) throw new Error(`bert-base-uncased id ${bertId} is not in the corpus's vocabulary`);
    return c;
  }

  word(word: string): number {
    return this.of(bertUncased().vocab.get(word)!);
  }
}

/** The model's config for reading sentences of `seq` tokens (training: `train: true`, padded to `seq`). */
export const lmConfig = (sizes: LmSizes, vocab: CompactVocab, seq: number, maxPositions: number, training = false) => ({
  ...sizes, vocab: vocab.size, seq, maxPositions, train: training,
});

/** One training record: ids padded with [PAD] to `seq`, their key mask, the [MASK] position and the correct verb. */
export function trainingRecord(s: Sentence, vocab: CompactVocab, seq: number) {
  const padId = vocab.word("[PAD]");
  const ids = Array.from({ length: seq }, (_, i) => (i < s.ids.length ? vocab.of(s.ids[i]!) : padId));
  const pad = Array.from({ length: seq }, (_, i) => (i < s.ids.length ? 0 : -10000));
  return { ids, pad, at: [s.mask], label: [vocab.word(s.forms[s.plural ? 1 : 0])] };
}

/** Trains the masked LM on the sentences (padded to the longest); returns its weights. */
export async function trainLm(
  sentences: readonly Sentence[],
  sizes: LmSizes,
  settings: TrainSettings,
  maxPositions: number,
  log: (p: Progress) => void = () => {},
): Promise<{ params: Record<string, Float64Array>; vocab: CompactVocab; loss: number }> {
  const vocab = new CompactVocab();
  const seq = Math.max(...sentences.map((s) => s.ids.length));
  if (seq > maxPositions) throw new Error(`a sentence of ${seq} tokens is longer than the model's ${maxPositions} positions`);
  const trained = await train({
    model: LM_MODEL,
    config: lmConfig(sizes, vocab, seq, maxPositions, true),
    train: sentences.map((s) => trainingRecord(s, vocab, seq)),
    loss: { kind: "nll", label: "label", classes: vocab.size },
    epochs: settings.epochs,
    lr: settings.lr,
    batch: settings.batch,
    seed: settings.seed,
    warmup: 50,
    onProgress: log,
  });
  return { params: trained.params, vocab, loss: trained.history.at(-1)!.loss };
}

/**
 * Agreement accuracy: the fraction of sentences where logit(correct) > logit(wrong) at [MASK],
 * i.e. log p(correct) > log p(wrong), from the padded training model's forward pass alone.
 */
export async function agreementAccuracy(params: Record<string, Float64Array>, sizes: LmSizes, vocab: CompactVocab, sentences: readonly Sentence[], maxPositions: number): Promise<number> {
  const seq = Math.max(...sentences.map((s) => s.ids.length));
  const { graph } = loadModel(LM_MODEL, { config: lmConfig(sizes, vocab, seq, maxPositions, true) });
  const m = (await importModule(compileGraph(graph, { semirings: [semirings.sumprod], precision: "f64" }).js.js)).createModel(params);
  let right = 0;
  for (const s of sentences) {
    const r = trainingRecord(s, vocab, seq);
    const wrong = vocab.word(s.forms[s.plural ? 0 : 1]);
    if (m.forward(r) > m.forward({ ...r, label: [wrong] })) right++;
  }
  return right / sentences.length;
}

/** The trained masked LM as the reader's graph source: one module per sentence length. */
export function lmSource(params: Record<string, Float64Array>, sizes: LmSizes, vocab: CompactVocab, maxPositions: number): GraphSource {
  return {
    layers: sizes.layers,
    params,
    key: (s) => String(s.ids.length),
    graph: (s) => loadModel(LM_MODEL, { config: lmConfig(sizes, vocab, s.ids.length, maxPositions) }).graph,
    inputs: (s) => ({
      ids: s.ids.map((id) => vocab.of(id)),
      at: [s.mask],
      pair: [vocab.word(s.forms[s.plural ? 1 : 0]), vocab.word(s.forms[s.plural ? 0 : 1])],
    }),
  };
}
