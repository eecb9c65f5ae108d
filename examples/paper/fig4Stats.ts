// The §5.2 (Fig. 4) summary from per-sentence readings (agreement/read.ts): per layer and token
// group (subject, attractors, all tokens), which branch wins each token's top path and how much
// flow each branch is credited; the paper's claims as fractions of sentences with Wilson 95%
// intervals; and the per-branch values behind any disagreement between the semantics.

import type { Sentence } from "./agreement/corpus.ts";
import { BRANCHES, type Branch, type LayerReading, type SentenceReading } from "./agreement/read.ts";
import { wilson, type Proportion } from "./fig2Stats.ts";

export const CLAIMS = {
  subjectLastAttention: "the subject's last-layer flow goes through self-attention (query, key or value), not the skip connection",
  subjectLastKey: "the subject's last-layer flow goes through the key branch",
  subjectEarlierSkip: "the subject's flow goes through the skip connection in most earlier layers",
  allSkip: "across all tokens the skip connection carries most tokens' flow in every layer",
  attractorsLastAttention: "most attractors' last-layer flow goes through self-attention",
} as const;
export type ClaimName = keyof typeof CLAIMS;

export const GROUPS = ["subject", "attractors", "all"] as const;
export type Group = (typeof GROUPS)[number];

export interface Read {
  readonly sentence: Sentence;
  readonly reading: SentenceReading;
}

const tokensOf = (s: Sentence, g: Group): number[] => (g === "subject" ? [s.subject] : g === "attractors" ? [...s.attractors] : s.ids.map((_, t) => t));
const zero = () => Object.fromEntries(BRANCHES.map((b) => [b, 0])) as Record<Branch, number>;
const attention = (b: Branch) => b !== "skip";
const most = (xs: readonly boolean[]) => xs.filter(Boolean).length * 2 > xs.length;

function claimHolds(s: Sentence, layers: readonly LayerReading[]): Record<ClaimName, boolean> {
  const last = layers.at(-1)!;
  const earlier = layers.slice(0, -1);
  return {
    subjectLastAttention: attention(last.winner[s.subject]!),
    subjectLastKey: last.winner[s.subject] === "key",
    subjectEarlierSkip: earlier.length > 0 && most(earlier.map((l) => l.winner[s.subject] === "skip")),
    allSkip: layers.every((l) => most(l.winner.map((b) => b === "skip"))),
    attractorsLastAttention: most(s.attractors.map((t) => attention(last.winner[t]!))),
  };
}

export interface LayerSummary {
  /** Fraction of the group's tokens whose top path goes through each branch. */
  readonly winShare: Record<Group, Record<Branch, number>>;
  /** Each branch's share of the group's oplus value (a token's best value credited to its winner). */
  readonly flowShare: Record<Group, Record<Branch, number>>;
  /** Mean oplus value per token of the group (0 where the branch does not win). */
  readonly meanOplus: Record<Group, Record<Branch, number>>;
}

export interface SemanticsSummary {
  readonly claims: Record<ClaimName, Proportion>;
  readonly layers: LayerSummary[];
}

export function summarize(reads: readonly Read[], which: "element" | "paper"): SemanticsSummary {
  const layers = reads[0]!.reading[which].length;
  const counts = Object.fromEntries(Object.keys(CLAIMS).map((c) => [c, 0])) as Record<ClaimName, number>;
  for (const { sentence, reading } of reads) {
    const holds = claimHolds(sentence, reading[which]);
    for (const c of Object.keys(CLAIMS) as ClaimName[]) if (holds[c]) counts[c]++;
  }
  const perLayer = Array.from({ length: layers }, (_, i): LayerSummary => {
    const table = () => Object.fromEntries(GROUPS.map((g) => [g, zero()])) as Record<Group, Record<Branch, number>>;
    const wins = table(), flow = table();
    const tokens = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
    for (const { sentence, reading } of reads) {
      const l = reading[which][i]!;
      for (const g of GROUPS) {
        for (const t of tokensOf(sentence, g)) {
          tokens[g]++;
          wins[g][l.winner[t]!]++;
          flow[g][l.winner[t]!] += l.value[t]!;
        }
      }
    }
    const per = (x: Record<Group, Record<Branch, number>>, by: (g: Group) => number) =>
      Object.fromEntries(GROUPS.map((g) => [g, Object.fromEntries(BRANCHES.map((b) => [b, x[g][b] / by(g)]))])) as Record<Group, Record<Branch, number>>;
    const totalFlow = (g: Group) => BRANCHES.reduce((a, b) => a + flow[g][b], 0);
    return { winShare: per(wins, (g) => tokens[g]), flowShare: per(flow, totalFlow), meanOplus: per(flow, (g) => tokens[g]) };
  });
  return {
    claims: Object.fromEntries((Object.keys(CLAIMS) as ClaimName[]).map((c) => [c, wilson(counts[c], reads.length)])) as Record<ClaimName, Proportion>,
    layers: perLayer,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * Where the semantics can disagree, measured at the subject in every layer: each branch's mean
 * best-unit value under both semantics, and the median of paper value / element value (how much a
 * per-consumer sum exceeds the best single path through the same branch).
 */
export function explain(reads: readonly Read[]) {
  const layers = reads[0]!.reading.element.length;
  return Array.from({ length: layers }, (_, i) => {
    const at = (which: "element" | "paper", b: Branch) => reads.map(({ sentence, reading }) => reading[which][i]!.byBranch[b][sentence.subject]!);
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    return {
      layer: i,
      element: Object.fromEntries(BRANCHES.map((b) => [b, mean(at("element", b))])) as Record<Branch, number>,
      paper: Object.fromEntries(BRANCHES.map((b) => [b, mean(at("paper", b))])) as Record<Branch, number>,
      sumOverPath: Object.fromEntries(BRANCHES.map((b) => {
        const el = at("element", b), pa = at("paper", b);
        return [b, median(pa.map((p, k) => p / el[k]!))];
      })) as Record<Branch, number>,
    };
  });
}
