// The ablation's report model: the grid of cells, the seed paper's table
// shape (mean ± std per variant) and the paired-comparison table. Importing
// lib/cli/ablate must not load the addon (this tier fails if it does).
import * as path from 'path';
import { Comparison, VariantStats, ablationTables, cellsOf, comparisonTable } from '../../lib/cli/ablate';
import { OptionError } from '../../lib/options';

const variants: VariantStats[] = [
  { arch: 'resnet18', attention: 'none', seeds: [1, 2, 3], top1: [77.5, 77.9, 77.2], top5: [99.5, 99.6, 99.55] },
  { arch: 'resnet18', attention: 'se', seeds: [1, 2], top1: [80.1, 80.5], top5: [99.7, 99.6] },
  { arch: 'resnet50', attention: 'dual-add', seeds: [1], top1: [81.25], top5: [99.9] },
];

test('cells: archs × canonical attentions (aliases merged) × seeds, one directory each', () => {
  const cells = cellsOf({ archs: ['resnet18'], attentions: ['senet', 'se', 'model4'], seeds: [1, 2], outDir: 'out' });
  expect(cells.map((c) => `${c.attention}/${c.seed}`)).toEqual(['se/1', 'se/2', 'dual-add/1', 'dual-add/2']);
  expect(cells[3].dir).toBe(path.join('out', 'cells', 'resnet18', 'dual-add', 'seed-2'));
  expect(() => cellsOf({ archs: [], attentions: ['se'], seeds: [1], outDir: 'o' })).toThrow(new OptionError('archs', 'needs at least one arch'));
  expect(() => cellsOf({ archs: ['resnet18'], attentions: ['se'], seeds: [], outDir: 'o' })).toThrow(new OptionError('seeds', 'needs at least one seed'));
  expect(() => cellsOf({ archs: ['resnet18'], attentions: ['se3' as never], seeds: [1], outDir: 'o' })).toThrow(/^attention: unknown value 'se3'/);
});

test('one table per arch: rows top-1, top-5, seeds; one column per variant', () => {
  const tables = ablationTables(variants);
  expect(tables.map((t) => t.title)).toEqual(['resnet18: test accuracy (%), mean ± std over seeds', 'resnet50: test accuracy (%), mean ± std over seeds']);
  expect(tables[0].header).toEqual(['', 'none', 'se']);
  expect(tables[0].rows).toEqual([
    ['top-1', '77.53 ± 0.35', '80.30 ± 0.28'],
    ['top-5', '99.55 ± 0.05', '99.65 ± 0.07'],
    ['seeds', '3', '2'],
  ]);
  expect(tables[1].rows[0]).toEqual(['top-1', '81.25']); // one seed: no ± std
});

test('comparison rows: signed differences, the interval, the verdict; — where there is none', () => {
  const comparisons: Comparison[] = [
    { arch: 'resnet18', attention: 'se', baseline: 'none', metric: 'top1', n: 3, meanDifference: 2.64, low: 1.541, high: 3.749, verdict: 'better' },
    { arch: 'resnet18', attention: 'dual-add', baseline: 'se', metric: 'top1', n: 3, meanDifference: -2.09, low: -4.14, high: -0.03, verdict: 'worse' },
    { arch: 'resnet18', attention: 'eca', baseline: 'none', metric: 'top1', n: 1, meanDifference: 0.07, low: NaN, high: NaN, verdict: 'needs ≥ 2 seeds' },
    { arch: 'resnet18', attention: 'cbam', baseline: 'none', metric: 'top1', n: 0, meanDifference: NaN, low: NaN, high: NaN, verdict: 'needs ≥ 2 seeds' },
  ];
  const t = comparisonTable(comparisons);
  expect(t.header).toEqual(['arch', 'variant', 'vs', 'mean Δ', '95% CI', 'seeds', 'verdict']);
  expect(t.rows).toEqual([
    ['resnet18', 'se', 'none', '+2.64', '[+1.54, +3.75]', '3', 'better'],
    ['resnet18', 'dual-add', 'se', '-2.09', '[-4.14, -0.03]', '3', 'worse'],
    ['resnet18', 'eca', 'none', '+0.07', '—', '1', 'needs ≥ 2 seeds'],
    ['resnet18', 'cbam', 'none', '—', '—', '0', 'needs ≥ 2 seeds'],
  ]);
});
