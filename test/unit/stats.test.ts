// Ablation statistics: mean ± sample std, Student-t critical values, paired
// 95% confidence intervals and their verdicts.
import { formatMeanStd, mean, pairedComparison, std, tCritical95 } from '../../lib/cli/report/stats';

const seeds = (values: number[]): Map<number, number> => new Map(values.map((v, i) => [i + 1, v]));

test('paired 95% CI uses Student t with n − 1 degrees of freedom', () => {
  expect(tCritical95(2)).toBe(4.303);
  const c = pairedComparison(new Map([[1, 91], [2, 92], [3, 93]]), new Map([[1, 90], [2, 90], [3, 90]])); // differences 1, 2, 3
  expect(c.meanDifference).toBeCloseTo(2, 12);
  expect(c.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 10);
  expect(c.high).toBeCloseTo(2 + 4.303 / Math.sqrt(3), 10);
  expect(c.verdict).toBe('no significant difference');
  const clear = pairedComparison(new Map([[1, 91], [2, 91.2], [3, 91.1]]), new Map([[1, 90], [2, 90.1], [3, 90.05]]));
  expect(clear.verdict).toBe('better');
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
});

test('t critical values: the table up to 30 degrees of freedom, an approximation beyond', () => {
  expect(tCritical95(1)).toBe(12.706);
  expect(tCritical95(30)).toBe(2.042);
  expect(tCritical95(0)).toBeNaN();
  expect(tCritical95(60)).toBeCloseTo(2.0, 1); // t(0.975, 60) = 2.000
  expect(tCritical95(120)).toBeCloseTo(1.98, 2); // t(0.975, 120) = 1.980
});

test('mean, sample std and their formatting', () => {
  expect(mean([1, 2, 3, 6])).toBe(3);
  expect(std([1, 2, 3])).toBe(1);
  expect(std([5])).toBeNaN();
  expect(formatMeanStd([77.5, 77.9, 77.2])).toBe('77.53 ± 0.35');
  expect(formatMeanStd([80.123])).toBe('80.12');
  expect(formatMeanStd([])).toBe('—');
});
