// The §5.1 claims as fractions of inputs with Wilson 95% intervals, and the mean oplus value per
// branch and token group, from the per-input readings of fig2Read.ts.

import { BRANCHES, type Branch, type InputReading, type OplusReading } from "./fig2Read.ts";

export interface Proportion {
  readonly holds: number;
  readonly n: number;
  readonly fraction: number;
  /** Wilson score interval, 95%. */
  readonly low: number;
  readonly high: number;
}

export function wilson(holds: number, n: number, z = 1.959964): Proportion {
  if (n === 0) throw new Error("a proportion of 0 inputs");
  const p = holds / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  // At p = 0 or 1 the bound equals p exactly; rounding must not put p outside its own interval.
  return { holds, n, fraction: p, low: Math.max(0, Math.min(p, centre - half)), high: Math.min(1, Math.max(p, centre + half)) };
}

export const CLAIMS = {
  firstQuery: "the first token's flow goes through the query branch",
  otherKey: "most other tokens' flow goes through the key branch",
  largestRepeatedKey: "the largest flow of all is the key of the repeated token",
} as const;
export type ClaimName = keyof typeof CLAIMS;

export const GROUPS = ["first", "repeated", "other"] as const;
export type Group = (typeof GROUPS)[number];

const groupOf = (t: number, repeat: number): Group => (t === 0 ? "first" : t === repeat ? "repeated" : "other");

function claimHolds(r: OplusReading, repeat: number): Record<ClaimName, boolean> {
  const others = r.winner.filter((_, t) => t !== 0 && t !== repeat);
  const top = r.value.indexOf(Math.max(...r.value));
  return {
    firstQuery: r.winner[0] === "query",
    otherKey: others.filter((b) => b === "key").length * 2 > others.length,
    largestRepeatedKey: top === repeat && r.winner[repeat] === "key",
  };
}

export interface SemanticsSummary {
  readonly claims: Record<ClaimName, Proportion>;
  /** Mean oplus value (the token's best value credited to its winning branch, 0 to the others). */
  readonly meanOplus: Record<Group, Record<Branch, number>>;
  /** Fraction of tokens of a group won by each branch. */
  readonly winShare: Record<Group, Record<Branch, number>>;
  /** Where the largest oplus value of an input lies, as "group branch" → fraction of inputs. */
  readonly largestAt: Record<string, number>;
}

export function summarize(readings: readonly InputReading[], which: "element" | "paper"): SemanticsSummary {
  const counts = Object.fromEntries(Object.keys(CLAIMS).map((c) => [c, 0])) as Record<ClaimName, number>;
  const zero = () => Object.fromEntries(BRANCHES.map((b) => [b, 0])) as Record<Branch, number>;
  const sums = Object.fromEntries(GROUPS.map((g) => [g, zero()])) as Record<Group, Record<Branch, number>>;
  const wins = Object.fromEntries(GROUPS.map((g) => [g, zero()])) as Record<Group, Record<Branch, number>>;
  const tokens = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
  const largest: Record<string, number> = {};
  for (const input of readings) {
    const r = input[which];
    const holds = claimHolds(r, input.repeat);
    for (const c of Object.keys(CLAIMS) as ClaimName[]) if (holds[c]) counts[c]++;
    const top = r.value.indexOf(Math.max(...r.value));
    const where = `${groupOf(top, input.repeat)} ${r.winner[top]!}`;
    largest[where] = (largest[where] ?? 0) + 1;
    r.winner.forEach((b, t) => {
      const g = groupOf(t, input.repeat);
      tokens[g]++;
      wins[g][b]++;
      sums[g][b] += r.value[t]!;
    });
  }
  const per = (table: Record<Group, Record<Branch, number>>) =>
    Object.fromEntries(GROUPS.map((g) => [g, Object.fromEntries(BRANCHES.map((b) => [b, table[g][b] / tokens[g]]))])) as Record<Group, Record<Branch, number>>;
  return {
    claims: Object.fromEntries((Object.keys(CLAIMS) as ClaimName[]).map((c) => [c, wilson(counts[c], readings.length)])) as Record<ClaimName, Proportion>,
    meanOplus: per(sums),
    winShare: per(wins),
    largestAt: Object.fromEntries(Object.entries(largest).sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n / readings.length])),
  };
}

const quantiles = (xs: number[], qs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return qs.map((q) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
};

/**
 * Why the semantics disagree at the repeated token: the paper value of a branch (a best
 * per-consumer sum) over the best single path through the same branch, and how saturated the
 * classifier position's attention to the repeated token is.
 */
export function explain(readings: readonly InputReading[]) {
  type At = "atFirst" | "atRepeated";
  const ratio = (at: At, b: Branch) => {
    const xs = readings.map((r) => r.paper[at][b] / r.element[at][b]);
    const [p10, median, p90] = quantiles(xs, [0.1, 0.5, 0.9]);
    return { median: median!, p10: p10!, p90: p90! };
  };
  const mean = (which: "element" | "paper", at: At, b: Branch) => readings.reduce((a, r) => a + r[which][at][b], 0) / readings.length;
  const table = (at: At, bs: readonly Branch[]) => ({
    sumOverPath: Object.fromEntries(bs.map((b) => [b, ratio(at, b)])),
    element: Object.fromEntries(bs.map((b) => [b, mean("element", at, b)])),
    paper: Object.fromEntries(bs.map((b) => [b, mean("paper", at, b)])),
  });
  const att = readings.map((r) => Math.max(...r.attention));
  const [attMedian] = quantiles(att, [0.5]);
  return {
    /** Per branch: median (p10, p90) of paper value / best single path, and each semantics' mean best-unit value. */
    first: table("atFirst", ["skip", "query"]),
    repeated: table("atRepeated", ["key", "value"]),
    attentionToRepeated: {
      median: attMedian!,
      above09: att.filter((p) => p > 0.9).length / att.length,
      /** The softmax's local derivative p(1 − p) on the largest weight: what every single key path is scaled by. */
      meanSlope: att.reduce((a, p) => a + p * (1 - p), 0) / att.length,
    },
  };
}
