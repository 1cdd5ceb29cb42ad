// The ablation's report model: the grid of cells, the seed paper's table
// shape (mean ± std per variant) and the paired-comparison table. Importing
// lib/ablation/ablate must not load the addon (this tier fails if it does).
import * as path from 'path';
import { VariantStats, ablationTables, cellsOf, chooseVariant, compareVariants, comparisonTable, verdictText } from '../../lib/ablation/ablate';
import { OptionError } from '../../lib/options';

const variants: VariantStats[] = [
  { arch: 'resnet18', attention: 'none', seeds: [1, 2, 3], top1: [77.5, 77.9, 77.2], top5: [99.5, 99.6, 99.55], wallSeconds: [600, 610, 590], imagesPerSecond: [130, 128, 132], parameters: 11172042 },
  { arch: 'resnet18', attention: 'se', seeds: [1, 2], top1: [80.1, 80.5], top5: [99.7, 99.6], wallSeconds: [690, 700], imagesPerSecond: [113, 111], parameters: 11258058 },
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

test('one table per arch: rows top-1, top-5, seeds and the cost per cell; one column per variant', () => {
  const tables = ablationTables(variants);
  expect(tables.map((t) => t.title)).toEqual(['resnet18: test accuracy (%), mean ± std over seeds; cost per cell', 'resnet50: test accuracy (%), mean ± std over seeds; cost per cell']);
  expect(tables[0].header).toEqual(['', 'none', 'se']);
  expect(tables[0].rows).toEqual([
    ['top-1', '77.53 ± 0.35', '80.30 ± 0.28'],
    ['top-5', '99.55 ± 0.05', '99.65 ± 0.07'],
    ['seeds', '3', '2'],
    ['minutes', '10.0', '11.6'], // 600 s and 695 s
    ['time vs none', '+0%', '+16%'],
    ['img/s', '130', '112'],
    ['parameters', '11.17 M', '11.26 M'],
  ]);
  expect(tables[1].rows[0]).toEqual(['top-1', '81.25']); // one seed: no ± std
  expect(tables[1].rows.slice(3)).toEqual([['minutes', '—'], ['time vs none', '—'], ['img/s', '—'], ['parameters', '—']]); // not recorded
});

test('comparisons: each variant against none and se, Holm-adjusted over all of them; the rows say so', () => {
  const grid: VariantStats[] = [
    { arch: 'resnet18', attention: 'none', seeds: [1, 2, 3], top1: [77.5, 77.9, 77.2], top5: [] },
    { arch: 'resnet18', attention: 'se', seeds: [1, 2, 3], top1: [80.1, 80.6, 80.0], top5: [] }, // +2.6, +2.7, +2.8
    { arch: 'resnet18', attention: 'dual-add', seeds: [1, 2, 3], top1: [77.6, 78.3, 77.0], top5: [] }, // +0.1, +0.4, −0.2 vs none
    { arch: 'resnet18', attention: 'eca', seeds: [1], top1: [77.57], top5: [] },
  ];
  const comparisons = compareVariants(grid);
  expect(comparisons.map((c) => `${c.attention}/${c.baseline}`)).toEqual(['se/none', 'dual-add/none', 'dual-add/se', 'eca/none', 'eca/se']);
  const t = comparisonTable(comparisons);
  expect(t.title).toBe('paired differences in top-1 (points) over seeds; verdicts from Holm–Bonferroni adjusted p-values over the 3 comparisons (family-wise α = 0.05)');
  expect(t.header).toEqual(['arch', 'variant', 'vs', 'mean Δ', '95% CI', 'p', 'Holm p', 'Holm CI (level)', 'sign-flip p', 'bootstrap 95% CI', 'detectable Δ', 'seeds needed', 'seeds', 'verdict (Holm)']);
  expect(t.rows).toEqual([
    // sd 0.1: t interval 2.7 ± 4.303·0.1/√3; p ≈ 0.00046, × 3 (first step, level α/3); exact bootstrap of three values: [min, max].
    ['resnet18', 'se', 'none', '+2.70', '[+2.45, +2.95]', '<0.001', '0.001', '[+2.26, +3.14] (98.3%)', '0.250', '[+2.60, +2.80]', '0.50', '—', '3', 'better'],
    ['resnet18', 'dual-add', 'none', '+0.10', '[-0.65, +0.85]', '0.622', '0.622', '[-0.65, +0.85] (95%)', '0.750', '[-0.20, +0.40]', '0.93', '73', '3', 'no difference larger than 0.93 points'],
    ['resnet18', 'dual-add', 'se', '-2.60', '[-3.50, -1.70]', '0.006', '0.013', '[-3.89, -1.31] (97.5%)', '0.250', '[-3.00, -2.30]', '1.51', '—', '3', 'worse'],
    ['resnet18', 'eca', 'none', '+0.07', '—', '—', '—', '—', '—', '—', '—', '—', '1', 'needs ≥ 2 seeds'],
    ['resnet18', 'eca', 'se', '-2.53', '—', '—', '—', '—', '—', '—', '—', '—', '1', 'needs ≥ 2 seeds'],
  ]);
  expect(verdictText(comparisons[1])).toBe('no difference larger than 0.93 points');
});

test('the report variant: named by attention (aliases too) or arch and attention; the best mean top-1 by default', () => {
  expect(chooseVariant(variants, undefined)).toMatchObject({ arch: 'resnet50', attention: 'dual-add' });
  expect(chooseVariant(variants, 'senet')).toMatchObject({ arch: 'resnet18', attention: 'se' });
  expect(chooseVariant(variants, 'resnet50 model4')).toMatchObject({ arch: 'resnet50', attention: 'dual-add' });
  expect(() => chooseVariant(variants, 'cbam')).toThrow(new OptionError('reportVariant', "'cbam' is not a variant of this ablation; valid: none, se, dual-add"));
});
