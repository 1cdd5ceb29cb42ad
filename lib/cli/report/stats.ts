// Statistics for ablations: mean ± sample std over seeds, and paired
// differences with a two-sided 95% Student-t confidence interval. A claim of
// "better" needs the whole interval above zero.

/** Two-sided 95% critical values of Student's t for 1..30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tCritical95(degreesOfFreedom: number): number {
  if (degreesOfFreedom < 1) return Number.NaN;
  return degreesOfFreedom <= 30 ? T_975[degreesOfFreedom - 1] : 1.96 + 2.4 / degreesOfFreedom; // ≈ t quantile beyond the table
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1); NaN for fewer than two values. */
export function std(values: number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

export type Verdict = 'better' | 'worse' | 'no significant difference' | 'needs ≥ 2 seeds';

export interface PairedComparison {
  n: number;
  meanDifference: number;
  low: number;
  high: number;
  verdict: Verdict;
}

/** Paired by seed: differences candidate − baseline over the seeds both have. */
export function pairedComparison(candidate: Map<number, number>, baseline: Map<number, number>): PairedComparison {
  const differences = [...candidate.keys()].filter((s) => baseline.has(s)).map((s) => candidate.get(s)! - baseline.get(s)!);
  const n = differences.length;
  const m = n ? mean(differences) : Number.NaN;
  if (n < 2) return { n, meanDifference: m, low: Number.NaN, high: Number.NaN, verdict: 'needs ≥ 2 seeds' };
  const half = (tCritical95(n - 1) * std(differences)) / Math.sqrt(n);
  const low = m - half;
  const high = m + half;
  const verdict: Verdict = low > 0 ? 'better' : high < 0 ? 'worse' : 'no significant difference';
  return { n, meanDifference: m, low, high, verdict };
}

export function formatMeanStd(values: number[], digits = 2): string {
  if (values.length === 0) return '—';
  const s = std(values);
  return Number.isNaN(s) ? values[0].toFixed(digits) : `${mean(values).toFixed(digits)} ± ${s.toFixed(digits)}`;
}
