// Spearman's rank correlation, with a seeded permutation test: what Fig. 5, 6 and 7 report (the
// paper gives ρ per length bin; the p-value says whether a ρ that size could be chance).

import { rng, shuffle } from "../../compiler/train/random.ts";

/** Ranks 1…n, ties sharing their mean rank. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** Spearman's ρ: the Pearson correlation of the ranks (ties averaged); null under 3 points or with a constant side. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new Error(`spearman: ${x.length} x values, ${y.length} y values`);
  if (x.length < 3 || new Set(x).size === 1 || new Set(y).size === 1) return null;
  return pearson(ranks(x), ranks(y));
}

export interface RankCorrelation {
  readonly rho: number;
  /** Two-sided permutation p-value: (1 + #{|ρ_perm| ≥ |ρ|}) / (1 + permutations). */
  readonly p: number;
  readonly n: number;
}

export function spearmanTest(x: readonly number[], y: readonly number[], permutations = 2000, seed = 1): RankCorrelation {
  const rx = ranks(x), ry = ranks(y);
  const rho = pearson(rx, ry);
  const rand = rng(seed);
  const perm = [...ry];
  let extreme = 0;
  for (let i = 0; i < permutations; i++) if (Math.abs(pearson(rx, shuffle(perm, rand))) >= Math.abs(rho) - 1e-12) extreme++;
  return { rho, p: (1 + extreme) / (1 + permutations), n: x.length };
}
