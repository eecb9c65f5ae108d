// What fig4, fig6 (a) and fig7 share: the corpus splits, the masked LM's sizes and training, and
// the trained model's reader. Training is deterministic for a seed, so each command trains the
// same model from the same settings.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFilesAtomically } from "../../../compiler/cli/output.ts";
import type { Progress } from "../../../compiler/train/train.ts";
import { generateCorpus, type CorpusStats, type Sentence } from "./corpus.ts";
import { agreementAccuracy, CompactVocab, lmSource, trainLm, type LmSizes, type TrainSettings } from "./lm.ts";
import { AgreementReader } from "./read.ts";

export interface LmSetup {
  readonly sizes: LmSizes;
  readonly train: TrainSettings & { readonly sentences: number };
  /** Held-out sentences for the agreement accuracy. */
  readonly heldOut: number;
}

export const FULL_LM: LmSetup = {
  sizes: { layers: 3, hidden: 32, heads: 2, intermediate: 64 },
  train: { sentences: 3000, epochs: 4, lr: 0.003, batch: 16, seed: 1 },
  heldOut: 500,
};
export const QUICK_LM: LmSetup = {
  sizes: { layers: 2, hidden: 16, heads: 2, intermediate: 32 },
  train: { sentences: 300, epochs: 1, lr: 0.003, batch: 16, seed: 1 },
  heldOut: 100,
};

/** Position embeddings: the longest sentence the corpus keeps, rounded up. */
export const MAX_POSITIONS = 48;
const TRAIN_SEED = 1, HELD_OUT_SEED = 7, READ_SEED = 11;

export interface TrainedLm {
  readonly reader: AgreementReader;
  readonly accuracy: number;
  readonly corpus: CorpusStats;
  readonly loss: number;
  readonly seconds: number;
}

/**
 * Trains the masked LM of `o` and measures its agreement accuracy on held-out sentences. With
 * `cache`, the weights are kept there as JSON (exact float64), keyed by a hash of `o`, and a later
 * run with the same setup reads them instead of training again.
 */
export async function trainedLm(o: LmSetup, log: (line: string) => void, cache?: string): Promise<TrainedLm> {
  const t0 = performance.now();
  const { sentences, stats } = generateCorpus(TRAIN_SEED, o.train.sentences);
  const file = cache && join(cache, `agreement-lm-${createHash("sha256").update(JSON.stringify(o)).digest("hex").slice(0, 12)}.json`);
  let trained: { params: Record<string, Float64Array>; vocab: CompactVocab; loss: number };
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { loss: number; params: Record<string, number[]> };
    trained = { params: Object.fromEntries(Object.entries(saved.params).map(([k, v]) => [k, Float64Array.from(v)])), vocab: new CompactVocab(), loss: saved.loss };
    log(`masked LM: weights read from ${file}`);
  } else {
    const onProgress = (p: Progress) => {
      if (p.kind === "epoch") log(`masked LM epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}`);
    };
    trained = await trainLm(sentences, o.sizes, o.train, MAX_POSITIONS, onProgress);
    if (file) writeFilesAtomically(new Map([[file, JSON.stringify({ setup: o, loss: trained.loss, params: Object.fromEntries(Object.entries(trained.params).map(([k, v]) => [k, Array.from(v)])) })]]));
  }
  const { params, vocab, loss } = trained;
  const accuracy = await agreementAccuracy(params, o.sizes, vocab, generateCorpus(HELD_OUT_SEED, o.heldOut).sentences, MAX_POSITIONS);
  log(`masked LM: held-out agreement accuracy ${(100 * accuracy).toFixed(1)}% (${o.heldOut} sentences)`);
  const reader = new AgreementReader(lmSource(params, o.sizes, vocab, MAX_POSITIONS));
  return { reader, accuracy, corpus: stats, loss, seconds: (performance.now() - t0) / 1000 };
}

/**
 * `n` sentences to read (a seed no training or held-out sentence comes from). With `lengths`, only
 * sentences of the `lengths` most common token counts: each length costs one compiled module.
 */
export function readSentences(n: number, lengths?: number): Sentence[] {
  const pool = generateCorpus(READ_SEED, lengths ? n * 8 : n).sentences;
  if (!lengths) return pool;
  const counts = new Map<number, number>();
  for (const s of pool) counts.set(s.ids.length, (counts.get(s.ids.length) ?? 0) + 1);
  const keep = new Set([...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, lengths).map(([l]) => l));
  return pool.filter((s) => keep.has(s.ids.length)).slice(0, n);
}
