// A generated subject–verb agreement corpus in the style of Linzen et al. (2016), the data of the
// paper's §5.2: a subject noun phrase, 1–4 attractors (nouns of the other number, in prepositional
// phrases or object relative clauses) between it and the verb, the verb replaced by [MASK], then a
// continuation after the verb whose length varies independently of the attractors (so sentences of
// every attractor count exist at every length). Deterministic from a seed.
//
// Tokenised with bert-base-uncased's WordPiece vocabulary; a sentence whose subject or an attractor
// splits into several word pieces is dropped, as the paper drops them (`waitresses`, `auditors`…).

import { rng } from "../../../compiler/train/random.ts";
import { bertUncased, piecesOf } from "./vocab.ts";

/** Singular and plural of each noun; a few have plurals that WordPiece splits (dropped as subjects and attractors). */
const NOUNS: readonly (readonly [string, string])[] = [
  ["author", "authors"], ["pilot", "pilots"], ["senator", "senators"], ["teacher", "teachers"], ["doctor", "doctors"],
  ["farmer", "farmers"], ["student", "students"], ["manager", "managers"], ["surgeon", "surgeons"], ["painter", "painters"],
  ["lawyer", "lawyers"], ["officer", "officers"], ["boy", "boys"], ["girl", "girls"], ["child", "children"],
  ["man", "men"], ["woman", "women"], ["friend", "friends"], ["key", "keys"], ["letter", "letters"],
  ["book", "books"], ["picture", "pictures"], ["cabinet", "cabinets"], ["report", "reports"], ["waitress", "waitresses"],
  ["auditor", "auditors"], ["dentist", "dentists"], ["architect", "architects"],
];
const ADJECTIVES = ["old", "young", "new", "tall", "famous", "small", "quiet", "busy"];
const PREPOSITIONS = ["near", "behind", "beside", "with", "from", "of", "for"];
const RELATIVE = ["that", "who"];
const PAST = ["saw", "met", "liked", "helped", "called", "visited"]; // no agreement inside the clause
/** The verb's singular and plural forms and what may follow it. */
const VERBS: readonly { readonly forms: readonly [string, string]; readonly next: readonly string[] }[] = [
  { forms: ["is", "are"], next: ["here", "ready", "very happy", "late", "in the room"] },
  { forms: ["was", "were"], next: ["here", "tired", "very busy", "on the train", "at home"] },
  { forms: ["has", "have"], next: ["left", "arrived", "a plan", "two cars", "no idea"] },
  { forms: ["seems", "seem"], next: ["happy", "tired", "nice", "ready to go"] },
];
const PLACES = ["in the city", "at the school", "with the new friends", "near the old house", "after the long meeting", "before the trip"];
const TAILS = ["today", "again", "now", "too"];

export interface Sentence {
  readonly text: string;
  /** [CLS] … [SEP] word pieces, [MASK] at the verb. */
  readonly tokens: readonly string[];
  /** bert-base-uncased ids of `tokens`. */
  readonly ids: readonly number[];
  readonly mask: number;
  readonly subject: number;
  readonly attractors: readonly number[];
  readonly plural: boolean;
  /** The verb's [singular, plural] forms; the correct one is forms[plural ? 1 : 0]. */
  readonly forms: readonly [string, string];
}

export interface CorpusStats {
  readonly generated: number;
  /** Dropped because the subject or an attractor splits into several word pieces. */
  readonly dropped: number;
  /** Dropped for being longer than MAX_TOKENS. */
  readonly tooLong: number;
}

/** The longest sentence kept, in word pieces with [CLS] and [SEP]. */
export const MAX_TOKENS = 36;

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

interface Draft {
  readonly words: string[];
  readonly subject: number;
  readonly attractors: number[];
  readonly plural: boolean;
  readonly forms: readonly [string, string];
}

function draft(rand: () => number, k: number): Draft {
  const plural = rand() < 0.5;
  const noun = (pl: boolean) => pick(rand, NOUNS)[pl ? 1 : 0];
  const words: string[] = ["the"];
  if (rand() < 0.5) words.push(pick(rand, ADJECTIVES));
  const subject = words.length;
  words.push(noun(plural));
  const attractors: number[] = [];
  for (let i = 0; i < k; i++) {
    const clause = rand() < 0.35;
    words.push(clause ? pick(rand, RELATIVE) : pick(rand, PREPOSITIONS), "the");
    if (rand() < 0.3) words.push(pick(rand, ADJECTIVES));
    attractors.push(words.length);
    words.push(noun(!plural));
    if (clause) words.push(pick(rand, PAST));
  }
  const verb = pick(rand, VERBS);
  words.push("[MASK]", ...pick(rand, verb.next).split(" "));
  for (let places = Math.floor(rand() * 6); places > 0; places--) words.push(...pick(rand, PLACES).split(" "));
  if (rand() < 0.5) words.push(pick(rand, TAILS));
  words.push(".");
  return { words, subject, attractors, plural, forms: verb.forms };
}

/** Tokenises a draft; undefined when the subject or an attractor splits into several pieces. */
function tokenise(d: Draft): Sentence | undefined {
  const wp = bertUncased();
  const tokens = ["[CLS]"];
  const at: number[] = [];
  for (const w of d.words) {
    at.push(tokens.length);
    tokens.push(...(w === "[MASK]" ? [w] : piecesOf(w, wp)));
  }
  tokens.push("[SEP]");
  const whole = (i: number) => piecesOf(d.words[i]!, wp).length === 1;
  if (!whole(d.subject) || !d.attractors.every(whole)) return undefined;
  const ids = tokens.map((t) => wp.vocab.get(t)!);
  return {
    text: d.words.join(" "),
    tokens, ids,
    mask: at[d.words.indexOf("[MASK]")]!,
    subject: at[d.subject]!,
    attractors: d.attractors.map((i) => at[i]!),
    plural: d.plural,
    forms: d.forms,
  };
}

/** `n` sentences (after dropping split ones), attractor counts cycling 1…4. */
export function generateCorpus(seed: number, n: number): { sentences: Sentence[]; stats: CorpusStats } {
  const rand = rng(seed);
  const sentences: Sentence[] = [];
  let generated = 0, dropped = 0, tooLong = 0;
  while (sentences.length < n) {
    const s = tokenise(draft(rand, 1 + (generated % 4)));
    generated++;
    if (!s) dropped++;
    else if (s.ids.length > MAX_TOKENS) tooLong++;
    else sentences.push(s);
  }
  return { sentences, stats: { generated, dropped, tooLong } };
}

/** Every word piece the generator can produce, with the specials: the compact vocabulary's source. */
export function corpusPieces(): string[] {
  const words = new Set<string>(["the", ".", ...ADJECTIVES, ...PREPOSITIONS, ...RELATIVE, ...PAST, ...TAILS]);
  for (const pair of NOUNS) pair.forEach((w) => words.add(w));
  for (const v of VERBS) {
    v.forms.forEach((w) => words.add(w));
    v.next.forEach((p) => p.split(" ").forEach((w) => words.add(w)));
  }
  for (const p of PLACES) p.split(" ").forEach((w) => words.add(w));
  const pieces = new Set(["[PAD]", "[CLS]", "[SEP]", "[MASK]"]);
  for (const w of words) piecesOf(w).forEach((p) => pieces.add(p));
  return [...pieces];
}
