// Task difficulty as the online (prequential) code length of Voita & Titov (2020): split the
// training examples into blocks at growing prefix sizes t₁ < t₂ < … < t_k = n; the first block is
// sent with the uniform code (t₁·log₂ K bits, K the task's classes), and each next block
// [tᵢ, tᵢ₊₁) costs its cross-entropy in bits under a model trained from scratch on the first tᵢ
// examples. The sum is the description length; the uniform code of everything (n·log₂ K) over it
// is the compression.

export interface Block {
  readonly start: number;
  readonly end: number;
  /** Examples the coding model was trained on (0: the uniform code). */
  readonly trainedOn: number;
  readonly bits: number;
}

export interface OnlineCode {
  readonly blocks: readonly Block[];
  /** The description length, bits. */
  readonly bits: number;
  readonly uniformBits: number;
  readonly compression: number;
}

/** Block ends at the given fractions of n (increasing, the last 1), each at least one example past the previous. */
export function blockEnds(n: number, fractions: readonly number[]): number[] {
  if (fractions.at(-1) !== 1) throw new Error(`the last block fraction must be 1, got ${fractions.at(-1)}`);
  const ends: number[] = [];
  for (const f of fractions) {
    const end = Math.round(f * n);
    if (end <= (ends.at(-1) ?? 0)) throw new Error(`block fractions [${fractions.join(", ")}] of ${n} examples leave an empty block`);
    ends.push(end);
  }
  return ends;
}

/**
 * The online code of `n` examples. `codeBlock(prefix, start, end)` trains on the first `prefix`
 * examples and returns the bits of examples [start, end) under that model.
 */
export async function onlineCode(
  n: number,
  classes: number,
  fractions: readonly number[],
  codeBlock: (prefix: number, start: number, end: number) => Promise<number>,
): Promise<OnlineCode> {
  const ends = blockEnds(n, fractions);
  const uniform = Math.log2(classes);
  const blocks: Block[] = [{ start: 0, end: ends[0]!, trainedOn: 0, bits: ends[0]! * uniform }];
  for (let i = 1; i < ends.length; i++) {
    const start = ends[i - 1]!, end = ends[i]!;
    blocks.push({ start, end, trainedOn: start, bits: await codeBlock(start, start, end) });
  }
  const bits = blocks.reduce((a, b) => a + b.bits, 0);
  return { blocks, bits, uniformBits: n * uniform, compression: (n * uniform) / bits };
}
