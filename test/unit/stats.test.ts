// Ablation statistics against known values: Student-t quantiles, cdf and
// paired t-test p-values, Holm–Bonferroni, the detectable difference, the
// sign-flip permutation test and the paired bootstrap.
//
// Reference values were computed once with mpmath 1.2.1 (30 digits) and
// numpy 1.24 (SciPy is not installed on the machine that computed them):
//   t cdf(t, ν) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) with mpmath.betainc(regularized=True),
//   t quantile  = mpmath.findroot of that cdf (tol 1e-25);
//   paired p    = 2·(1 − cdf(|mean|/(sd/√n), n − 1));
//   bootstrap   = every one of the n^n resamples (itertools.product), their means,
//                 numpy.quantile(means, q, method='inverted_cdf');
//   sign flip   = every one of the 2^n sign patterns (itertools.product), share with |sum| ≥ |observed sum|;
//   detectable  = (quantile(1 − α/2, n − 1) + quantile(0.8, n − 1))·sd/√n.
import {
  adjustComparisons, bootstrapInterval, formatMeanStd, holm, mean, meanInterval, minimumDetectableDifference, pairedComparison, pairedTTestP,
  seedsToDetect, signFlipP, std, tCdf, tCritical, tQuantile,
} from '../../lib/ablation/stats';

const seeds = (values: number[]): Map<number, number> => new Map(values.map((v, i) => [i + 1, v]));

test('Student t quantiles at any level and the cdf (mpmath reference values)', () => {
  const quantiles: [number, number, number][] = [
    [0.975, 2, 4.3026527297494618], [0.975, 30, 2.0422724563012379], [0.975, 60, 2.0002978220142601], [0.975, 120, 1.9799304050824405],
    [1 - 0.05 / 20, 4, 5.5975683670754919], [1 - 0.005 / 2, 9, 3.6896623923042442], [0.8, 2, 1.0606601717798215], [0.8, 5, 0.91954378024082621],
    [0.1, 3, -1.6377443536962101],
  ];
  for (const [p, df, value] of quantiles) expect(tQuantile(p, df)).toBeCloseTo(value, 10);
  const cdfs: [number, number, number][] = [[2.5, 4, 0.96661672759400593], [-1.3, 7, 0.11738391769618858], [0.4, 1, 0.6211189415908434]];
  for (const [t, df, value] of cdfs) expect(tCdf(t, df)).toBeCloseTo(value, 12);
  // Closed forms: ν = 1 is Cauchy, quantile tan(π(p − ½)); ν = 2 has quantile (2p − 1)/√(2p(1 − p)).
  expect(tQuantile(0.9, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4), 10);
  expect(tQuantile(0.99, 2)).toBeCloseTo((2 * 0.99 - 1) / Math.sqrt(2 * 0.99 * 0.01), 10);
  expect(tCritical(2)).toBeCloseTo(4.3026527297494618, 10);
  expect(tCritical(0)).toBeNaN();
});

test('paired comparison: Student-t interval and p-value with n − 1 degrees of freedom', () => {
  const c = pairedComparison(new Map([[1, 91], [2, 92], [3, 93]]), new Map([[1, 90], [2, 90], [3, 90]])); // differences 1, 2, 3
  expect(c.meanDifference).toBeCloseTo(2, 12);
  expect(c.sdDifference).toBeCloseTo(1, 12);
  expect(c.low).toBeCloseTo(2 - 4.3026527297494618 / Math.sqrt(3), 10);
  expect(c.high).toBeCloseTo(2 + 4.3026527297494618 / Math.sqrt(3), 10);
  expect(c.p).toBeCloseTo(0.074179900227448538, 10);
  expect(c.verdict).toBe('no significant difference');
  expect(pairedTTestP([0.3, -1.2, 0.8, 1.5, 0.1])).toBeCloseTo(0.53811304615677676, 10);
  expect(pairedTTestP([0.5, 0.5])).toBe(0); // identical differences: no spread
  expect(pairedTTestP([0, 0, 0])).toBe(1);
  const clear = pairedComparison(new Map([[1, 91], [2, 91.2], [3, 91.1]]), new Map([[1, 90], [2, 90.1], [3, 90.05]]));
  expect(clear.verdict).toBe('better');
  expect(clear.p).toBeLessThan(0.05);
  expect(pairedComparison(new Map([[1, 89]]), new Map([[1, 90]])).verdict).toBe('needs ≥ 2 seeds');
  // The seed paper's claim: one run each, 0.07 points apart — not a result.
  expect(pairedComparison(new Map([[1, 70.07]]), new Map([[1, 70.0]])).verdict).toBe('needs ≥ 2 seeds');
});

test('worse, and pairing only the seeds both sides have', () => {
  expect(pairedComparison(seeds([88, 88.1, 88.2]), seeds([90, 90.05, 90.1])).verdict).toBe('worse');
  const partial = pairedComparison(new Map([[1, 91], [2, 92], [7, 50]]), new Map([[1, 90], [2, 90], [3, 99]]));
  expect(partial.n).toBe(2);
  expect(partial.meanDifference).toBe(1.5);
  const none = pairedComparison(new Map([[1, 91]]), new Map([[2, 90]]));
  expect(none).toMatchObject({ n: 0, verdict: 'needs ≥ 2 seeds' });
  expect(none.meanDifference).toBeNaN();
  expect(none.p).toBeNaN();
});

test('exact sign-flip permutation p-values (enumerated reference values)', () => {
  expect(signFlipP([1, 2, 3])).toBe(0.25); // all positive: only the observed pattern and its mirror reach |sum| = 6
  expect(signFlipP([0.3, -1.2, 0.8, 1.5, 0.1])).toBe(18 / 32);
  expect(signFlipP([0.5, 0.7, 0.2, 0.9, 0.4, 0.6])).toBe(2 / 64);
  expect(signFlipP([0, 0])).toBe(1);
  expect(signFlipP([])).toBeNaN();
  // Beyond 16 differences: seeded random patterns, deterministic; all positive: (1 + hits) / (draws + 1) ≈ 1/20001.
  const many = Array.from({ length: 17 }, (_, i) => 1 + i / 10);
  expect(signFlipP(many)).toBe(signFlipP(many));
  expect(signFlipP(many)).toBeLessThan(3e-4);
  const noisy = Array.from({ length: 17 }, (_, i) => (i % 2 ? 1 : -1) * (1 + i / 10));
  expect(signFlipP(noisy, 1)).toBeGreaterThan(0.5);
  expect(signFlipP(noisy, 1)).not.toBe(signFlipP(noisy, 2));
});

test('paired bootstrap interval: exact enumeration for few seeds (numpy reference values), seeded beyond', () => {
  expect(bootstrapInterval([1, 2, 3], 0.95)).toEqual({ low: 1, high: 3 });
  const five = bootstrapInterval([0.3, -1.2, 0.8, 1.5, 0.1], 0.95);
  expect(five.low).toBeCloseTo(-0.54, 12);
  expect(five.high).toBeCloseTo(1.02, 12);
  const eighty = bootstrapInterval([0.3, -1.2, 0.8, 1.5, 0.1], 0.8);
  expect(eighty.low).toBeCloseTo(-0.24, 12);
  expect(eighty.high).toBeCloseTo(0.82, 12);
  expect(bootstrapInterval([4], 0.95).low).toBeNaN();
  // Ten seeds: random resamples, the same for the same seed, inside the range of the data, around the mean.
  const ten = [0.213, 0.517, -0.104, 0.931, 0.402, 0.355, 0.618, 0.007, 0.744, 0.529];
  const a = bootstrapInterval(ten, 0.95);
  expect(bootstrapInterval(ten, 0.95)).toEqual(a);
  expect(bootstrapInterval(ten, 0.95, { seed: 2 })).not.toEqual(a);
  expect(a.low).toBeGreaterThan(-0.104);
  expect(a.high).toBeLessThan(0.931);
  expect(a.low).toBeLessThan(mean(ten));
  expect(a.high).toBeGreaterThan(mean(ten));
  const same = bootstrapInterval([0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7], 0.95);
  expect(same.low).toBeCloseTo(0.7, 12);
  expect(same.high).toBeCloseTo(0.7, 12);
});

test('Holm–Bonferroni: adjusted p-values and the levels of the step-down', () => {
  // Ascending 0.005, 0.01, 0.03, 0.04 over m = 4: ×4, ×3, ×2, ×1 → 0.02, 0.03, 0.06, max(0.06, 0.04).
  const { adjusted, levels } = holm([0.01, 0.04, 0.03, 0.005, Number.NaN]);
  expect(adjusted.slice(0, 4).map((p) => +p.toFixed(12))).toEqual([0.03, 0.06, 0.06, 0.02]);
  expect(adjusted[4]).toBeNaN(); // untested comparisons are not in the family
  // Rejected at steps 1 and 2 (α/4, α/3); it stops at step 3 (0.03 ≥ α/2): steps 3 and 4 keep α/2.
  expect(levels.slice(0, 4).map((l) => +l.toFixed(12))).toEqual([+(0.05 / 3).toFixed(12), 0.025, 0.025, 0.0125]);
});

test('adjusted comparisons: the verdict and interval from Holm, detectable difference and seeds to resolve', () => {
  const base = seeds([90, 90, 90]);
  const [sharp, edge, unclear, single] = adjustComparisons([
    pairedComparison(seeds([92, 92.1, 92.05]), base), // p ≈ 0.0004: survives ×3
    pairedComparison(seeds([91, 92, 93]), base), // differences 1, 2, 3: p ≈ 0.074
    pairedComparison(seeds([90.5, 89.6, 90.2]), base),
    pairedComparison(new Map([[1, 91]]), base),
  ]);
  expect(sharp).toMatchObject({ verdict: 'better', rawVerdict: 'better', seedsToResolve: null });
  expect(sharp.pAdjusted).toBeCloseTo(3 * sharp.p, 12);
  expect(sharp.adjustedConfidence).toBeCloseTo(1 - 0.05 / 3, 12);
  expect(sharp.adjustedLow).toBeGreaterThan(0);
  expect(sharp.adjustedLow).toBeLessThan(sharp.low); // wider than the raw interval
  // The step-down stops at the second smallest p: both others use α/2; their intervals contain zero.
  expect(edge.adjustedConfidence).toBeCloseTo(0.975, 12);
  expect(edge.adjustedLow).toBeCloseTo(2 - tQuantile(1 - 0.025 / 2, 2) / Math.sqrt(3), 10);
  expect(edge.verdict).toBe('no significant difference');
  expect(edge.detectableDifference).toBeCloseTo(minimumDetectableDifference(1, 3, 0.025), 12);
  expect(edge.seedsToResolve).toBe(seedsToDetect(2, 1, 0.025));
  expect(unclear.verdict).toBe('no significant difference');
  expect(single).toMatchObject({ verdict: 'needs ≥ 2 seeds', seedsToResolve: null });
  expect(single.pAdjusted).toBeNaN();
  // Only the raw verdict of a comparison at the edge is "better": the adjusted one is not.
  const [a, b] = adjustComparisons([
    pairedComparison(seeds([91.2, 91.4, 91.3]), base), // p ≈ 0.003
    pairedComparison(seeds([90.8, 91.2, 91.6]), base), // p ≈ 0.035: below α, above α/2
    pairedComparison(seeds([90.5, 89.6, 90.2]), base),
  ]);
  expect(a.verdict).toBe('better');
  expect(b.rawVerdict).toBe('better');
  expect(b.verdict).toBe('no significant difference');
});

test('minimum detectable difference and seeds to detect (mpmath reference values)', () => {
  expect(minimumDetectableDifference(1, 3, 0.05)).toBeCloseTo(3.0965101474461245, 10);
  expect(minimumDetectableDifference(0.8, 5, 0.005)).toBeCloseTo(2.3392966618560821, 10);
  expect(minimumDetectableDifference(1, 1, 0.05)).toBeNaN();
  // The smallest n whose detectable difference reaches the target.
  const n = seedsToDetect(0.5, 1, 0.05)!;
  expect(minimumDetectableDifference(1, n, 0.05)).toBeLessThanOrEqual(0.5);
  expect(minimumDetectableDifference(1, n - 1, 0.05)).toBeGreaterThan(0.5);
  expect(n).toBeGreaterThan(30); // (1.96 + 0.84)² / 0.25 ≈ 31.4 in the normal limit
  expect(seedsToDetect(0, 1, 0.05)).toBeNull();
  expect(seedsToDetect(0.001, 1, 0.05)).toBeNull(); // more than 1000
});

test('mean, sample std, intervals of the mean and their formatting', () => {
  expect(mean([1, 2, 3, 6])).toBe(3);
  expect(std([1, 2, 3])).toBe(1);
  expect(std([5])).toBeNaN();
  const m = meanInterval([1, 2, 3]);
  expect(m.mean).toBe(2);
  expect(m.high - m.mean).toBeCloseTo(4.3026527297494618 / Math.sqrt(3), 10);
  expect(meanInterval([1]).low).toBeNaN();
  expect(formatMeanStd([77.5, 77.9, 77.2])).toBe('77.53 ± 0.35');
  expect(formatMeanStd([80.123])).toBe('80.12');
  expect(formatMeanStd([])).toBe('—');
});
