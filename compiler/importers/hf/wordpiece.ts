// BERT's tokenizer: basic splitting (lower case and accents stripped for uncased models,
// punctuation split off, special tokens such as [MASK] kept whole), then greedy longest-match
// WordPiece over the vocabulary, with [CLS] … [SEP] around. Reads vocab.txt or tokenizer.json.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SemicError } from "../../../ir/graph.ts";

export interface WordPiece {
  readonly vocab: ReadonlyMap<string, number>;
  readonly lowerCase: boolean;
  readonly unk: string;
}

const specials = /(\[CLS\]|\[SEP\]|\[MASK\]|\[PAD\]|\[UNK\])/;
const isPunct = (ch: string) => /[\p{P}\p{S}]/u.test(ch);

/** The tokenizer of a checkpoint directory: tokenizer.json (a WordPiece model) or vocab.txt. */
export function loadWordPiece(dir: string): WordPiece {
  const json = join(dir, "tokenizer.json"), txt = join(dir, "vocab.txt");
  const cfgFile = join(dir, "tokenizer_config.json");
  const cfg = existsSync(cfgFile) ? (JSON.parse(readFileSync(cfgFile, "utf8")) as { do_lower_case?: boolean }) : {};
  if (existsSync(json)) {
    const t = JSON.parse(readFileSync(json, "utf8")) as { model?: { type?: string; vocab?: Record<string, number>; unk_token?: string }; normalizer?: { lowercase?: boolean } | null };
    if (t.model?.type !== "WordPiece" || !t.model.vocab)
      throw new SemicError("E_HF", `${json}: tokenizer model ${t.model?.type ?? "?"} is not supported (semic reads BERT's WordPiece)`);
    return { vocab: new Map(Object.entries(t.model.vocab)), lowerCase: t.normalizer?.lowercase ?? cfg.do_lower_case ?? true, unk: t.model.unk_token ?? "[UNK]" };
  }
  if (!existsSync(txt)) throw new SemicError("E_HF", `${dir}: no tokenizer.json or vocab.txt`);
  const words = readFileSync(txt, "utf8").split(/\r?\n/);
  if (words[words.length - 1] === "") words.pop();
  return { vocab: new Map(words.map((w, i) => [w, i])), lowerCase: cfg.do_lower_case ?? true, unk: "[UNK]" };
}

function basicSplit(text: string, lowerCase: boolean): string[] {
  const out: string[] = [];
  for (const part of text.split(specials)) {
    if (specials.test(part)) {
      out.push(part);
      continue;
    }
    const norm = lowerCase ? part.toLowerCase().normalize("NFD").replace(/\p{Mn}/gu, "") : part;
    for (const word of norm.split(/\s+/).filter((w) => w !== "")) {
      let cur = "";
      for (const ch of word) {
        if (!isPunct(ch)) cur += ch;
        else {
          if (cur) out.push(cur);
          out.push(ch);
          cur = "";
        }
      }
      if (cur) out.push(cur);
    }
  }
  return out;
}

/** Greedy longest-match pieces of one word; the whole word is [UNK] when a piece is missing. */
function pieces(word: string, wp: WordPiece): string[] {
  if (wp.vocab.has(word)) return [word];
  const out: string[] = [];
  let start = 0;
  while (start < word.length) {
    let end = word.length, piece: string | undefined;
    for (; end > start; end--) {
      const cand = (start > 0 ? "##" : "") + word.slice(start, end);
      if (wp.vocab.has(cand)) {
        piece = cand;
        break;
      }
    }
    if (!piece) return [wp.unk];
    out.push(piece);
    start = end;
  }
  return out;
}

/** [CLS] pieces… [SEP] of a text. */
export function tokenize(text: string, wp: WordPiece): string[] {
  return ["[CLS]", ...basicSplit(text, wp.lowerCase).flatMap((w) => pieces(w, wp)), "[SEP]"];
}

export function idOf(token: string, wp: WordPiece, what: string): number {
  const id = wp.vocab.get(token);
  if (id === undefined) throw new SemicError("E_HF", `${what}: "${token}" is not in the vocabulary`);
  return id;
}
