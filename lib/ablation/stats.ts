// Statistics for ablations: mean ± sample std over seeds, and paired
// comparisons of two variants over the seeds both have:
//  - Student-t confidence interval and two-sided p-value (quantiles and the
//    cdf from @stdlib, exact at any level — adjusted levels need α/10, α/9, …);
//  - Holm–Bonferroni adjustment over the family of comparisons one ablation
//    makes, with intervals at the level Holm's step-down used for each, so an
//    adjusted interval excludes zero exactly when Holm rejects;
//  - the smallest difference the seeds could detect (80% power) and how many
//    seeds would detect the observed one;
//  - two distribution-free companions: an exact sign-flip permutation test and
//    a paired percentile bootstrap interval (exact enumeration for few seeds,
//    seeded and deterministic beyond).
// A claim of "better" needs the whole (adjusted) interval above zero.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tQuantileOf = require('@stdlib/stats-base-dists-t-quantile') as (p: number, df: number) => number;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tCdfOf = require('@stdlib/stats-base-dists-t-cdf') as (x: number, df: number) => number;

/** The p-quantile of Student's t with `degreesOfFreedom`; NaN below 1 degree of freedom. */
export function tQuantile(p: number, degreesOfFreedom: number): number {
  return degreesOfFreedom >= 1 ? tQuantileOf(p, degreesOfFreedom) : Number.NaN;
}

/** P(T ≤ x) for Student's t with `degreesOfFreedom`. */
export function tCdf(x: number, degreesOfFreedom: number): number {
  return degreesOfFreedom >= 1 ? tCdfOf(x, degreesOfFreedom) : Number.NaN;
}

/** Two-sided critical value of Student's t at confidence `level` (0.95: t(0.975, df)). */
export function tCritical(degreesOfFreedom: number, level = 0.95): number {
  return tQuantile(1 - (1 - level) / 2, degreesOfFreedom);
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

const verdictOf = (low: number, high: number): Verdict => (low > 0 ? 'better' : high < 0 ? 'worse' : 'no significant difference');

/** Student-t interval of the mean of `differences` at confidence `level`. */
export function tInterval(differences: number[], level: number): { low: number; high: number } {
  const n = differences.length;
  const half = (tCritical(n - 1, level) * std(differences)) / Math.sqrt(n);
  const m = mean(differences);
  return { low: m - half, high: m + half };
}

/** Two-sided p-value of the one-sample t-test of mean(differences) = 0 (the paired t-test). */
export function pairedTTestP(differences: number[]): number {
  const n = differences.length;
  if (n < 2) return Number.NaN;
  const m = mean(differences);
  const s = std(differences);
  if (s === 0) return m === 0 ? 1 : 0; // every seed moved by exactly the same amount
  const t = Math.abs(m) / (s / Math.sqrt(n));
  return Math.min(1, 2 * (1 - tCdf(t, n - 1)));
}

/**
 * Exact two-sided sign-flip permutation test of mean(differences) = 0: under the null each difference is as
 * likely positive as negative, so the p-value is the share of the 2^n sign patterns whose |sum| reaches the
 * observed one. With n seeds it can never go below 2 / 2^n (0.25 for 3 seeds). Beyond 16 differences,
 * 20,000 seeded random patterns instead of all (deterministic).
 */
export function signFlipP(differences: number[], seed = 1): number {
  const n = differences.length;
  if (n === 0) return Number.NaN;
  const observed = Math.abs(differences.reduce((a, b) => a + b, 0));
  const tolerance = 1e-9 * differences.reduce((a, b) => a + Math.abs(b), 0); // sums equal up to rounding count as equal
  const reaches = (signs: (i: number) => boolean): boolean => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += signs(i) ? -differences[i] : differences[i];
    return Math.abs(sum) >= observed - tolerance;
  };
  if (n <= 16) {
    let count = 0;
    for (let pattern = 0; pattern < 2 ** n; pattern++) if (reaches((i) => ((pattern >>> i) & 1) === 1)) count++;
    return count / 2 ** n;
  }
  const random = mulberry32(seed);
  const draws = 20_000;
  let count = 1; // the observed pattern itself (a valid Monte Carlo p-value is never 0)
  for (let d = 0; d < draws; d++) if (reaches(() => random() < 0.5)) count++;
  return count / (draws + 1);
}

/** A small seeded PRNG (Mulberry32): the same seed gives the same stream on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Largest n^n resamples enumerated exactly (n ≤ 6 seeds); beyond, seeded random resamples. */
const EXACT_BOOTSTRAP_LIMIT = 50_000;

/**
 * Paired percentile bootstrap interval of mean(differences) at confidence `level`: the means of resamples of
 * the differences with replacement; the bounds are the (1 − level)/2 and (1 + level)/2 quantiles of their
 * distribution in the inverted-cdf sense (the smallest mean whose cumulative share reaches the level, numpy's
 * method='inverted_cdf'). Up to 6 differences every one of the n^n equally likely resamples is enumerated, so
 * the interval is exact and needs no seed; beyond, `resamples` seeded resamples (deterministic).
 */
export function bootstrapInterval(differences: number[], level: number, options: { resamples?: number; seed?: number } = {}): { low: number; high: number } {
  const n = differences.length;
  if (n < 2) return { low: Number.NaN, high: Number.NaN };
  let means: Float64Array;
  if (n ** n <= EXACT_BOOTSTRAP_LIMIT) {
    means = new Float64Array(n ** n);
    for (let r = 0; r < means.length; r++) {
      let sum = 0;
      for (let i = 0, rest = r; i < n; i++, rest = Math.floor(rest / n)) sum += differences[rest % n];
      means[r] = sum / n;
    }
  } else {
    const random = mulberry32(options.seed ?? 1);
    means = new Float64Array(options.resamples ?? 20_000);
    for (let r = 0; r < means.length; r++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)];
      means[r] = sum / n;
    }
  }
  means.sort();
  const quantile = (q: number): number => means[Math.min(means.length - 1, Math.max(0, Math.ceil(q * means.length - 1e-9) - 1))];
  return { low: quantile((1 - level) / 2), high: quantile((1 + level) / 2) };
}

/**
 * The smallest true mean difference a paired t-test on `n` seeds with this spread of differences detects with
 * probability `power` at two-sided level `alpha`: (t(1 − α/2, n − 1) + t(power, n − 1)) · sd / √n (the usual
 * t approximation of the noncentral-t power).
 */
export function minimumDetectableDifference(sd: number, n: number, alpha: number, power = 0.8): number {
  if (n < 2) return Number.NaN;
  return ((tQuantile(1 - alpha / 2, n - 1) + tQuantile(power, n - 1)) * sd) / Math.sqrt(n);
}

/**
 * How many seeds would detect a true difference of `difference` points at two-sided level `alpha` with
 * `power`, if the per-seed differences keep the spread `sd`: the smallest n with a minimum detectable
 * difference ≤ |difference|; null when more than `max` would be needed (or the difference is 0).
 */
export function seedsToDetect(difference: number, sd: number, alpha: number, power = 0.8, max = 1000): number | null {
  if (!(Math.abs(difference) > 0) || !Number.isFinite(sd)) return null;
  for (let n = 2; n <= max; n++) if (minimumDetectableDifference(sd, n, alpha, power) <= Math.abs(difference)) return n;
  return null;
}

/**
 * Holm–Bonferroni over a family of p-values (NaN entries are not tested and not counted): the adjusted
 * p-values, p̃(k) = max over j ≤ k of min(1, (m − j + 1) p(j)) in ascending order, and for each test the
 * significance level its interval should use: α / (m − k + 1) at its step k, or the level of the step where
 * the procedure stopped for the steps after it — so an interval at that level excludes zero exactly when
 * its adjusted p-value is below α.
 */
export function holm(pValues: number[], alpha = 0.05): { adjusted: number[]; levels: number[] } {
  const order = pValues.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p)).sort((a, b) => a.p - b.p);
  const m = order.length;
  const adjusted = pValues.map(() => Number.NaN);
  const levels = pValues.map(() => Number.NaN);
  let running = 0;
  let stoppedAt = -1; // the first step Holm does not reject
  order.forEach((e, k) => {
    running = Math.max(running, Math.min(1, (m - k) * e.p));
    adjusted[e.i] = running;
    if (stoppedAt < 0 && !(e.p < alpha / (m - k))) stoppedAt = k;
    levels[e.i] = alpha / (m - (stoppedAt < 0 ? k : stoppedAt));
  });
  return { adjusted, levels };
}

export interface PairedComparison {
  /** Seeds both variants have. */
  n: number;
  meanDifference: number;
  /** Sample std of the per-seed differences. */
  sdDifference: number;
  /** Student-t 95% interval, unadjusted. */
  low: number;
  high: number;
  /** Two-sided paired t-test p-value, unadjusted. */
  p: number;
  /** Exact sign-flip permutation p-value (distribution-free). */
  signFlipP: number;
  /** Paired percentile bootstrap 95% interval (distribution-free). */
  bootstrapLow: number;
  bootstrapHigh: number;
  /** From the unadjusted interval (pairedComparison); from the Holm-adjusted one after adjustComparisons(). */
  verdict: Verdict;
}

export interface AdjustedComparison extends PairedComparison {
  /** The verdict of the unadjusted 95% interval. */
  rawVerdict: Verdict;
  /** Holm–Bonferroni adjusted p-value over the family. */
  pAdjusted: number;
  /** Confidence level of the adjusted interval (1 − Holm's level for this comparison). */
  adjustedConfidence: number;
  adjustedLow: number;
  adjustedHigh: number;
  /** The smallest true difference these seeds detect with 80% power at the adjusted level (points). */
  detectableDifference: number;
  /** Seeds that would detect the observed difference with 80% power at the adjusted level; null: none needed (already significant), or > 1000. */
  seedsToResolve: number | null;
}

/** Power for the detectable-difference figures. */
export const POWER = 0.8;
/** Family-wise error rate of the adjusted verdicts. */
export const ALPHA = 0.05;

/** Paired by seed: differences candidate − baseline over the seeds both have, with unadjusted statistics. */
export function pairedComparison(candidate: Map<number, number>, baseline: Map<number, number>): PairedComparison {
  const differences = [...candidate.keys()].filter((s) => baseline.has(s)).map((s) => candidate.get(s)! - baseline.get(s)!);
  const n = differences.length;
  const m = n ? mean(differences) : Number.NaN;
  if (n < 2) {
    return { n, meanDifference: m, sdDifference: Number.NaN, low: Number.NaN, high: Number.NaN, p: Number.NaN, signFlipP: Number.NaN,
      bootstrapLow: Number.NaN, bootstrapHigh: Number.NaN, verdict: 'needs ≥ 2 seeds' };
  }
  const { low, high } = tInterval(differences, 1 - ALPHA);
  const boot = bootstrapInterval(differences, 1 - ALPHA);
  return {
    n, meanDifference: m, sdDifference: std(differences), low, high, p: pairedTTestP(differences), signFlipP: signFlipP(differences),
    bootstrapLow: boot.low, bootstrapHigh: boot.high, verdict: verdictOf(low, high),
  };
}

/**
 * Holm–Bonferroni over all `comparisons` (one family: every comparison an ablation makes): adjusted p-values,
 * adjusted intervals, the verdict from the adjusted interval, and the detectable-difference figures.
 */
export function adjustComparisons<C extends PairedComparison>(comparisons: C[]): (C & AdjustedComparison)[] {
  const { adjusted, levels } = holm(comparisons.map((c) => c.p), ALPHA);
  return comparisons.map((c, i) => {
    if (c.n < 2) {
      return { ...c, rawVerdict: c.verdict, pAdjusted: Number.NaN, adjustedConfidence: Number.NaN, adjustedLow: Number.NaN, adjustedHigh: Number.NaN,
        detectableDifference: Number.NaN, seedsToResolve: null };
    }
    const level = levels[i];
    const half = tCritical(c.n - 1, 1 - level) * c.sdDifference / Math.sqrt(c.n);
    const adjustedLow = c.meanDifference - half;
    const adjustedHigh = c.meanDifference + half;
    const verdict = adjusted[i] < ALPHA ? (c.meanDifference > 0 ? 'better' : 'worse') : 'no significant difference';
    return {
      ...c, rawVerdict: c.verdict, verdict, pAdjusted: adjusted[i], adjustedConfidence: 1 - level, adjustedLow, adjustedHigh,
      detectableDifference: minimumDetectableDifference(c.sdDifference, c.n, level, POWER),
      seedsToResolve: verdict === 'no significant difference' ? seedsToDetect(c.meanDifference, c.sdDifference, level, POWER) : null,
    };
  });
}

export function formatMeanStd(values: number[], digits = 2): string {
  if (values.length === 0) return '—';
  const s = std(values);
  return Number.isNaN(s) ? values[0].toFixed(digits) : `${mean(values).toFixed(digits)} ± ${s.toFixed(digits)}`;
}

/** Mean and Student-t interval half-width at `level` of independent values (per-variant accuracy); NaN half-width for one value. */
export function meanInterval(values: number[], level = 0.95): { mean: number; low: number; high: number } {
  const m = mean(values);
  if (values.length < 2) return { mean: m, low: Number.NaN, high: Number.NaN };
  const half = (tCritical(values.length - 1, level) * std(values)) / Math.sqrt(values.length);
  return { mean: m, low: m - half, high: m + half };
}
