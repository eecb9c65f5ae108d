// Histograms of readouts. Path products and gradients span many decades (1e-15 next to 1e-2), so
// a linear axis would show one bar at 0: past three decades the axis is log10 |value|, and each
// bin is split by sign so no sign is lost.

export interface Bin {
  readonly x1: number;
  readonly x2: number;
  readonly count: number;
  readonly sign: "all" | "positive" | "negative";
}

export interface Histogram {
  readonly title: string;
  readonly axis: "value" | "log10 |value|";
  /** Non-empty bins only. */
  readonly bins: Bin[];
  readonly total: number;
  /** Values left out: ±∞ or NaN (no path), and exact zeros on a log axis. */
  readonly nonFinite: number;
  readonly zeros: number;
}

const DECADES = 3;

/** `bins` equal-width bins over the finite values (non-empty ones returned). */
export function histogram(title: string, values: readonly number[], bins = 24): Histogram {
  const finite = values.filter(Number.isFinite);
  const nonFinite = values.length - finite.length;
  const magnitudes = finite.filter((v) => v !== 0).map(Math.abs);
  let lo = Infinity, hi = -Infinity;
  for (const m of magnitudes) [lo, hi] = [Math.min(lo, m), Math.max(hi, m)];
  const log = magnitudes.length > 1 && hi / lo > 10 ** DECADES;
  const xs = log ? magnitudes.map(Math.log10) : finite;
  const signs = log ? finite.filter((v) => v !== 0).map((v) => (v > 0 ? "positive" : "negative")) : finite.map(() => "all" as const);
  let min = Infinity, max = -Infinity;
  for (const x of xs) [min, max] = [Math.min(min, x), Math.max(max, x)];
  if (min === max) [min, max] = [min - 0.5, max + 0.5];
  const width = (max - min) / bins;
  const counts = new Map<string, Bin>();
  xs.forEach((x, i) => {
    const b = Math.min(bins - 1, Math.floor((x - min) / width));
    const sign = signs[i]!;
    const key = `${b} ${sign}`;
    const bin = counts.get(key) ?? { x1: min + b * width, x2: min + (b + 1) * width, count: 0, sign };
    counts.set(key, { ...bin, count: bin.count + 1 });
  });
  const sorted = [...counts.values()].sort((a, b) => a.x1 - b.x1 || a.sign.localeCompare(b.sign));
  return { title, axis: log ? "log10 |value|" : "value", bins: sorted, total: values.length, nonFinite, zeros: log ? finite.length - magnitudes.length : 0 };
}
