// The synthetic classification tasks of the paper's App. C (§5.3, Fig. 5). A sequence holds
// `len` tokens drawn from 1…vocab−1 and is padded with token 0 to the model's length. Each task
// has a direct check (`label`, the definition) and a constructive sampler (`make`) that draws a
// sequence of a requested class; `generate` draws balanced classes, checks every sequence against
// the definition, and shuffles — all deterministic from a seed.

import { rng, shuffle } from "../../../compiler/train/random.ts";

export interface Task {
  /** As the paper names it, e.g. "ContainsTokenSet({1,2,3})", "BinCountOnes(3)". */
  readonly name: string;
  readonly classes: number;
  /** The class of a sequence (no padding), straight from the task's definition. */
  label(tokens: readonly number[]): number;
  /** A sequence of `len` tokens from 1…vocab−1 of class `c` (checked by `generate`). */
  make(rand: () => number, c: number, len: number, vocab: number): number[];
}

const int = (rand: () => number, n: number) => Math.floor(rand() * n);
/** A token from 1…vocab−1 other than those in `not`. */
function token(rand: () => number, vocab: number, not: readonly number[] = []): number {
  for (;;) {
    const t = 1 + int(rand, vocab - 1);
    if (!not.includes(t)) return t;
  }
}
const tokens = (rand: () => number, len: number, vocab: number, not: readonly number[] = []) =>
  Array.from({ length: len }, () => token(rand, vocab, not));
/** `k` distinct positions from `from`…len−1. */
function positions(rand: () => number, k: number, from: number, len: number): number[] {
  return shuffle(Array.from({ length: len - from }, (_, i) => from + i), rand).slice(0, k);
}

/** True iff every token of `set` occurs. */
export function containsTokenSet(set: readonly number[], name = `ContainsTokenSet({${set.join(",")}})`): Task {
  return {
    name,
    classes: 2,
    label: (t) => (set.every((s) => t.includes(s)) ? 1 : 0),
    make(rand, c, len, vocab) {
      if (c === 0) return tokens(rand, len, vocab, [set[int(rand, set.length)]!]);
      const t = tokens(rand, len, vocab);
      positions(rand, set.length, 0, len).forEach((p, i) => (t[p] = set[i]!));
      return t;
    },
  };
}

export const contains1 = containsTokenSet([1], "Contains1");

/** True iff the first token equals the one at `at(len)`. */
function firstTokenAt(name: string, at: (len: number) => number): Task {
  return {
    name,
    classes: 2,
    label: (t) => (t[0] === t[at(t.length)] ? 1 : 0),
    make(rand, c, len, vocab) {
      const t = tokens(rand, len, vocab);
      t[at(len)] = c === 1 ? t[0]! : token(rand, vocab, [t[0]!]);
      return t;
    },
  };
}

export const firstTokenRepeatedImmediately = firstTokenAt("FirstTokenRepeatedImmediately", () => 1);
export const firstTokenRepeatedLast = firstTokenAt("FirstTokenRepeatedLast", (len) => len - 1);

/** True iff some two adjacent tokens are equal. */
export const adjacentDuplicate: Task = {
  name: "AdjacentDuplicate",
  classes: 2,
  label: (t) => (t.some((x, i) => i > 0 && x === t[i - 1]) ? 1 : 0),
  make(rand, c, len, vocab) {
    const t: number[] = [];
    for (let i = 0; i < len; i++) t.push(token(rand, vocab, i > 0 ? [t[i - 1]!] : []));
    if (c === 1) {
      const i = int(rand, len - 1);
      t[i + 1] = t[i]!;
    }
    return t;
  },
};

/** True iff the first token occurs exactly once more. Negatives: no repeat, or two or three. */
export const firstTokenRepeatedOnce: Task = {
  name: "FirstTokenRepeatedOnce",
  classes: 2,
  label: (t) => (t.slice(1).filter((x) => x === t[0]).length === 1 ? 1 : 0),
  make(rand, c, len, vocab) {
    const first = token(rand, vocab);
    const t = [first, ...tokens(rand, len - 1, vocab, [first])];
    const repeats = c === 1 ? 1 : rand() < 0.5 ? 0 : Math.min(len - 1, 2 + int(rand, 2));
    for (const p of positions(rand, repeats, 1, len)) t[p] = first;
    return t;
  },
};

/**
 * `classes` classes by the number of 1s among `len` tokens: counts 1…len split into equal bins,
 * class ⌊(count − 1)·classes / len⌋ (length 6, 3 classes: one or two 1s → 0, three or four → 1,
 * five or six → 2). No 1 at all is class 0.
 */
export function binCountOnes(classes: number): Task {
  const classOf = (count: number, len: number) => (count === 0 ? 0 : Math.floor(((count - 1) * classes) / len));
  return {
    name: `BinCountOnes(${classes})`,
    classes,
    label: (t) => classOf(t.filter((x) => x === 1).length, t.length),
    make(rand, c, len, vocab) {
      const counts = Array.from({ length: len }, (_, i) => i + 1).filter((k) => classOf(k, len) === c);
      if (counts.length === 0) throw new Error(`BinCountOnes(${classes}): no count of 1s among ${len} tokens is class ${c}`);
      const t = tokens(rand, len, vocab, [1]);
      for (const p of positions(rand, counts[int(rand, counts.length)]!, 0, len)) t[p] = 1;
      return t;
    },
  };
}

/** The tasks of Fig. 5, in the order the results list them. */
export const TASKS: readonly Task[] = [
  contains1,
  containsTokenSet([1, 2, 3]),
  firstTokenRepeatedImmediately,
  firstTokenRepeatedLast,
  adjacentDuplicate,
  firstTokenRepeatedOnce,
  binCountOnes(2),
  binCountOnes(3),
  binCountOnes(4),
];

export interface Example {
  /** `seq` ids: the sequence, then token 0 up to the model's length. */
  readonly ids: number[];
  readonly label: number;
  /** Tokens before the padding. */
  readonly len: number;
}

export interface Sizes {
  readonly vocab: number;
  /** The model's sequence length; sequences hold ⌈seq/2⌉…seq tokens. */
  readonly seq: number;
}

export const minLength = (seq: number) => Math.max(4, Math.ceil(seq / 2));

/** `n` examples with classes as balanced as `n` allows, shuffled; each checked against the definition. */
export function generate(task: Task, n: number, seed: number, { vocab, seq }: Sizes): Example[] {
  const rand = rng(seed);
  const lo = minLength(seq);
  if (seq < lo) throw new Error(`${task.name}: sequences need at least ${lo} tokens, the model holds ${seq}`);
  const out: Example[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % task.classes;
    const len = lo + int(rand, seq - lo + 1);
    const t = task.make(rand, c, len, vocab);
    const got = task.label(t);
    if (got !== c || t.length !== len || t.some((x) => !(x >= 1 && x < vocab))) {
      throw new Error(`${task.name}: drew [${t.join(",")}] for class ${c}, but it is class ${got}`);
    }
    out.push({ ids: [...t, ...Array<number>(seq - len).fill(0)], label: c, len });
  }
  return shuffle(out, rand);
}
