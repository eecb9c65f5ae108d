// Fig. 5's numbers from fig5.ts's runs: per task the means over kept seeds, and Spearman's rank
// correlation between entropy and MDL over the kept runs — all tasks, and the binary ones alone
// (the paper's "binary tasks trend down with MDL").

import { spearman } from "./rank.ts";

export interface RunPoint {
  readonly task: string;
  readonly classes: number;
  readonly mdlBits: number;
  readonly entropy: number;
  /** The same reading at the seeded initial weights. */
  readonly entropyAtInit: number;
  /** Mean entropy of the trained model's attention rows. */
  readonly attentionEntropy: number;
  readonly valAccuracy: number;
  readonly kept: boolean;
}

export interface TaskSummary {
  readonly task: string;
  readonly classes: number;
  readonly runs: number;
  readonly kept: number;
  /** Means over the kept runs (over all runs when none is kept). */
  readonly mdlBits: number;
  readonly entropy: number;
  readonly entropyAtInit: number;
  readonly attentionEntropy: number;
  readonly valAccuracy: number;
}

export function summarize(runs: readonly RunPoint[]) {
  const names = [...new Set(runs.map((r) => r.task))];
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const tasks: TaskSummary[] = names.map((task) => {
    const all = runs.filter((r) => r.task === task);
    const kept = all.filter((r) => r.kept);
    const use = kept.length > 0 ? kept : all;
    return {
      task, classes: all[0]!.classes, runs: all.length, kept: kept.length,
      mdlBits: mean(use.map((r) => r.mdlBits)), entropy: mean(use.map((r) => r.entropy)),
      entropyAtInit: mean(use.map((r) => r.entropyAtInit)), attentionEntropy: mean(use.map((r) => r.attentionEntropy)), valAccuracy: mean(use.map((r) => r.valAccuracy)),
    };
  });
  const kept = runs.filter((r) => r.kept);
  const rho = (rs: readonly RunPoint[]) => spearman(rs.map((r) => r.mdlBits), rs.map((r) => r.entropy));
  const binCount = kept.filter((r) => r.task.startsWith("BinCountOnes"));
  return {
    tasks,
    kept: kept.length,
    spearman: {
      all: rho(kept),
      binary: rho(kept.filter((r) => r.classes === 2)),
      binCountOnes: rho(binCount),
      /** Against what training changed (entropy − untrained entropy), over all kept runs. */
      changeFromInit: spearman(kept.map((r) => r.mdlBits), kept.map((r) => r.entropy - r.entropyAtInit)),
      /** Gradient entropy against attention entropy (not MDL), over all kept runs. */
      entropyVsAttention: spearman(kept.map((r) => r.attentionEntropy), kept.map((r) => r.entropy)),
    },
  };
}
