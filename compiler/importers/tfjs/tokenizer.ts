// The Universal Sentence Encoder's tokenizer (as in TF.js's universal-sentence-encoder, Apache-2.0):
// NFKC, spaces as "▁", then the segmentation into vocabulary pieces with the highest total score
// (Viterbi). A character no piece covers is id 0 (unknown); runs of unknowns merge into one.

/** vocab.json: [piece, log-probability] by id; the first six ids are reserved symbols. */
export type UseVocabulary = readonly (readonly [string, number])[];

const RESERVED = 6;

export function useTokenize(vocab: UseVocabulary, text: string): number[] {
  const normalized = text.normalize("NFKC");
  const chars = [...(normalized.length > 0 ? "\u2581" + normalized.replace(/ /g, "\u2581") : "")];
  const byPiece = new Map<string, number>();
  let longest = 1;
  for (let id = RESERVED; id < vocab.length; id++) {
    byPiece.set(vocab[id]![0], id);
    longest = Math.max(longest, [...vocab[id]![0]].length);
  }
  // best[e]: the best score of a segmentation of chars[0, e); last[e]: its last piece and length.
  const best = new Array<number>(chars.length + 1).fill(-Infinity);
  const last = new Array<[number, number]>(chars.length + 1);
  best[0] = 0;
  for (let s = 0; s < chars.length; s++) {
    if (best[s] === -Infinity) continue;
    let matched = false;
    for (let len = 1; len <= Math.min(longest, chars.length - s); len++) {
      const id = byPiece.get(chars.slice(s, s + len).join(""));
      if (id === undefined) continue;
      matched = true;
      const score = best[s]! + vocab[id]![1];
      if (score >= best[s + len]!) [best[s + len], last[s + len]] = [score, [id, len]];
    }
    if (!matched && best[s]! >= best[s + 1]!) [best[s + 1], last[s + 1]] = [best[s]!, [0, 1]];
  }
  const ids: number[] = [];
  for (let e = chars.length; e > 0; e -= last[e]![1]) ids.push(last[e]![0]);
  ids.reverse();
  return ids.filter((id, i) => !(id === 0 && ids[i - 1] === 0));
}
