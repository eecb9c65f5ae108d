// The synthetic task of the paper's §5.1 transformer: "does the first token appear again later in
// the sequence?". Balanced classes; a positive sequence repeats the first token at exactly one
// later position (`repeat`), so the position whose information decides the answer is known.
// Plain TypeScript (not DSL): used by the training script and by tests/examples.

// The same seeded PRNG (mulberry32) and normal sampler that training uses.
import { gaussian, rng } from "../../compiler/train/random.ts";

export { gaussian, rng };

export interface Example {
  ids: number[];
  /** 1 if ids[0] occurs again, else 0. */
  label: 0 | 1;
  /** The later position holding ids[0] (positives only), else -1. */
  repeat: number;
}

/** One example: label drawn 50/50; other tokens never equal the first. */
export function makeExample(rand: () => number, vocab: number, seq: number): Example {
  const pickInt = (n: number) => Math.floor(rand() * n);
  const first = pickInt(vocab);
  const other = () => {
    const t = pickInt(vocab - 1);
    return t >= first ? t + 1 : t;
  };
  const ids = [first, ...Array.from({ length: seq - 1 }, other)];
  if (rand() < 0.5) return { ids, label: 0, repeat: -1 };
  const repeat = 1 + pickInt(seq - 1);
  ids[repeat] = first;
  return { ids, label: 1, repeat };
}

export function makeDataset(seed: number, n: number, vocab: number, seq: number): Example[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => makeExample(rand, vocab, seq));
}
