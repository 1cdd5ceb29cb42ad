// The summary of an ablation from its finished cells: the seed paper's table
// shape (mean ± std over seeds) with the cost of each variant, paired
// comparisons against `none` and `se` adjusted for multiple comparisons
// (Holm–Bonferroni over all of them), results.json/csv and report.html.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ClaimOwner } from './claims';
import type { AblationCell, AblationResult, Comparison, PendingCell, VariantStats } from './ablate';
import type { AblationGrid } from './grid';
import { OptionError, canonicalAttention } from '../options';
import { RunSummary } from '../record/recorded-train';
import { ALPHA, AdjustedComparison, POWER, PairedComparison, adjustComparisons, formatMeanStd, mean, pairedComparison, std } from './stats';
import { ReportBlock, writePage } from '../record/html';
import { writeResults } from '../record/results';
import { readCellRecord } from './cell-record';
import { PageCell, curvesBlock, environmentTable, forestBlock, perClassBlocks, recipeTable, seedDotsBlock } from './page';

/** "resnet18 se seed 2". */
export function cellName(cell: Pick<AblationCell, 'arch' | 'attention' | 'seed'>): string {
  return `${cell.arch} ${cell.attention} seed ${cell.seed}`;
}

/** "host pid 123". */
export function ownerName(owner: ClaimOwner | null | undefined): string {
  return owner ? `${owner.host} pid ${owner.pid}` : 'an unknown worker';
}

/** Which variant the report's confusion matrix shows; default: the best mean top-1. */
export interface SummaryOptions {
  /** An attention (alias or canonical name) of the grid, optionally "arch attention". */
  reportVariant?: string;
}

/** The variant `spec` names ("se", "senet", "resnet50 se"); the best mean top-1 when `spec` is undefined. */
export function chooseVariant(variants: VariantStats[], spec: string | undefined): VariantStats | undefined {
  if (spec === undefined) {
    const ranked = variants.filter((v) => v.top1.length).sort((a, b) => mean(b.top1) - mean(a.top1));
    return ranked[0];
  }
  const parts = spec.trim().split(/\s+/);
  const arch = parts.length > 1 ? parts[0] : undefined;
  let attention: string;
  try {
    attention = canonicalAttention(parts[parts.length - 1] as never);
  } catch {
    attention = parts[parts.length - 1];
  }
  const found = variants.find((v) => v.attention === attention && (arch === undefined || v.arch === arch));
  if (!found) {
    throw new OptionError('reportVariant', `'${spec}' is not a variant of this ablation; valid: ${variants.map((v) => v.attention).filter((a, i, all) => all.indexOf(a) === i).join(', ')}`);
  }
  return found;
}

/** Every comparison the runner makes: each variant against `none` and against `se`, one Holm–Bonferroni family. */
export function compareVariants(variants: VariantStats[]): Comparison[] {
  const bySeed = (v: VariantStats): Map<number, number> => new Map(v.seeds.map((s, i) => [s, v.top1[i]]));
  const raw: (Omit<Comparison, keyof AdjustedComparison> & PairedComparison)[] = [];
  for (const v of variants) {
    for (const baseline of ['none', 'se'] as const) {
      const base = variants.find((b) => b.arch === v.arch && b.attention === baseline);
      if (!base || v.attention === baseline || (baseline === 'se' && v.attention === 'none')) continue;
      raw.push({ arch: v.arch, attention: v.attention, baseline, metric: 'top1' as const, ...pairedComparison(bySeed(v), bySeed(base)) });
    }
  }
  return adjustComparisons(raw);
}

/** Tables, statistics and report files of the cells finished so far. */
export async function summarize(
  outDir: string,
  grid: Pick<AblationGrid, 'archs' | 'attentions' | 'seeds'> & Partial<Pick<AblationGrid, 'data' | 'model' | 'train'>>,
  cells: AblationCell[],
  finished: (RunSummary | null)[],
  pending: PendingCell[],
  stopped: boolean,
  options: SummaryOptions = {},
): Promise<AblationResult> {
  const summaries = finished.filter((s): s is RunSummary => s !== null);
  const variants: VariantStats[] = [];
  for (const arch of grid.archs) {
    for (const attention of [...new Set(grid.attentions.map(canonicalAttention))]) {
      const runs = summaries.filter((s) => s.arch === arch && s.attention === attention && s.top1 !== null);
      variants.push({
        arch, attention, seeds: runs.map((r) => r.seed), top1: runs.map((r) => r.top1!), top5: runs.map((r) => r.top5!),
        wallSeconds: runs.map((r) => r.wallSeconds), imagesPerSecond: runs.map((r) => r.imagesPerSecond),
        parameters: runs.find((r) => typeof r.parameters === 'number')?.parameters ?? null,
      });
    }
  }
  const comparisons = compareVariants(variants);
  const focus = chooseVariant(variants, options.reportVariant);
  const rows = summaries.map((s) => ({ ...s }) as unknown as Record<string, unknown>);
  const pendingJson = pending.map((p) => ({ arch: p.cell.arch, attention: p.cell.attention, seed: p.cell.seed, trainingBy: p.owner ? { host: p.owner.host, pid: p.owner.pid } : null }));
  const pageCells: PageCell[] = cells.flatMap((cell, i) => (finished[i] ? [{ arch: cell.arch, attention: cell.attention, seed: cell.seed, record: readCellRecord(cell.dir) }] : []));
  // Written into a private directory, then renamed into place: concurrent workers never leave a torn file.
  const tmp = path.join(outDir, `.summary-${crypto.randomUUID()}`);
  try {
    writeResults(tmp, {
      cells: summaries,
      variants: variants.map((v) => ({
        ...v, top1Mean: mean(v.top1), top1Std: std(v.top1), top5Mean: mean(v.top5), top5Std: std(v.top5),
        wallSecondsMean: mean(v.wallSeconds ?? []), imagesPerSecondMean: mean(v.imagesPerSecond ?? []),
      })),
      comparisons,
      statistics: { familyWiseAlpha: ALPHA, adjustment: 'holm-bonferroni', comparisons: comparisons.filter((c) => c.n >= 2).length, power: POWER },
      stopped,
      finished: summaries.length,
      total: cells.length,
      pending: pendingJson,
    }, rows);
    const training = pending.filter((p) => p.owner);
    const waiting = pending.filter((p) => !p.owner);
    const archs = grid.archs.length;
    const env = environmentTable(pageCells.flatMap((c) => (c.record.environment ? [c.record.environment] : [])));
    const blocks: (ReportBlock | null)[] = [
      ...ablationTables(variants).map((table): ReportBlock => ({ kind: 'table', table })),
      { kind: 'table', table: comparisonTable(comparisons) },
      forestBlock(comparisons, archs),
      seedDotsBlock(variants, archs),
      curvesBlock(pageCells),
      ...perClassBlocks(pageCells, variants, focus, archs),
      { kind: 'table', table: recipeTable(grid) },
      env ? { kind: 'table', table: env } : null,
    ];
    await writePage(
      tmp,
      'senet-lab ablation',
      `${grid.archs.join(', ')} × ${variants.map((v) => v.attention).filter((a, i, all) => all.indexOf(a) === i).join(', ')} × seeds ${grid.seeds.join(', ')}; ` +
        `${summaries.length} of ${cells.length} cells finished` +
        (training.length ? `; being trained: ${training.map((p) => `${cellName(p.cell)} (${ownerName(p.owner)})`).join(', ')}` : '') +
        (waiting.length ? `; not started or interrupted: ${waiting.map((p) => cellName(p.cell)).join(', ')}` : ''),
      blocks.filter((b): b is ReportBlock => b !== null),
    );
    for (const name of ['results.csv', 'report.html', 'results.json']) fs.renameSync(path.join(tmp, name), path.join(outDir, name));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const files = { report: path.join(outDir, 'report.html'), resultsJson: path.join(outDir, 'results.json'), resultsCsv: path.join(outDir, 'results.csv') };
  return { cells: summaries, variants, comparisons, stopped, total: cells.length, pending, files };
}

const signed = (v: number): string => (Number.isNaN(v) ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
const interval = (low: number, high: number): string => (Number.isNaN(low) ? '—' : `[${signed(low)}, ${signed(high)}]`);
const percent = (fraction: number): string => `${(100 * fraction).toFixed(Number.isInteger(+(100 * fraction).toFixed(1)) ? 0 : 1)}%`;
const pValue = (p: number): string => (Number.isNaN(p) ? '—' : p < 0.001 ? '<0.001' : p.toFixed(3));

/** "11.17 M" parameters. */
function formatParameters(count: number | null): string {
  return count === null ? '—' : count >= 1e6 ? `${(count / 1e6).toFixed(2)} M` : count.toLocaleString('en-US');
}

/**
 * The seed paper's table shape: rows top-1/top-5, one column per variant, mean ± std over seeds; then the cost
 * of each variant (wall time and images/s per cell, parameters, time relative to the plain ResNet).
 */
export function ablationTables(variants: VariantStats[]): { title: string; header: string[]; rows: string[][] }[] {
  const archs = [...new Set(variants.map((v) => v.arch))];
  return archs.map((arch) => {
    const columns = variants.filter((v) => v.arch === arch);
    const plain = columns.find((v) => v.attention === 'none');
    const time = (v: VariantStats): number => mean(v.wallSeconds ?? []);
    const relative = (v: VariantStats): string => {
      if (!plain || !(time(plain) > 0) || !v.wallSeconds?.length) return '—';
      const r = time(v) / time(plain) - 1;
      return `${r >= 0 ? '+' : ''}${(100 * r).toFixed(0)}%`;
    };
    return {
      title: `${arch}: test accuracy (%), mean ± std over seeds; cost per cell`,
      header: ['', ...columns.map((v) => v.attention)],
      rows: [
        ['top-1', ...columns.map((v) => formatMeanStd(v.top1))],
        ['top-5', ...columns.map((v) => formatMeanStd(v.top5))],
        ['seeds', ...columns.map((v) => String(v.seeds.length))],
        ['minutes', ...columns.map((v) => (v.wallSeconds?.length ? (time(v) / 60).toFixed(1) : '—'))],
        ['time vs none', ...columns.map(relative)],
        ['img/s', ...columns.map((v) => (v.imagesPerSecond?.length ? mean(v.imagesPerSecond).toFixed(0) : '—'))],
        ['parameters', ...columns.map((v) => formatParameters(v.parameters ?? null))],
      ],
    };
  });
}

/** What a comparison's verdict says; "no significant difference" names the difference the seeds could have detected. */
export function verdictText(c: Comparison): string {
  if (c.verdict === 'no significant difference' && c.detectableDifference === 0) return 'no difference on any seed'; // every difference is 0
  if (c.verdict === 'no significant difference' && Number.isFinite(c.detectableDifference)) return `no difference larger than ${c.detectableDifference.toFixed(2)} points`;
  return c.verdict;
}

export function comparisonTable(comparisons: Comparison[]): { title: string; header: string[]; rows: string[][]; note: string } {
  const tested = comparisons.filter((c) => c.n >= 2).length;
  return {
    title: `paired differences in top-1 (points) over seeds; verdicts from Holm–Bonferroni adjusted p-values over the ${tested} comparisons (family-wise α = ${ALPHA})`,
    header: ['arch', 'variant', 'vs', 'mean Δ', '95% CI', 'p', 'Holm p', 'Holm CI (level)', 'sign-flip p', 'bootstrap 95% CI', 'detectable Δ', 'seeds needed', 'seeds', 'verdict (Holm)'],
    note: '95% CI and p: paired Student t, unadjusted. Holm CI: the interval at the level Holm–Bonferroni used for the comparison; ' +
      'it excludes zero exactly when the adjusted p is below α. Sign-flip p (exact permutation) and the paired bootstrap interval ' +
      `are distribution-free. Detectable Δ: the smallest true difference these seeds detect with ${POWER * 100}% power at the adjusted level; ` +
      '"no difference larger than X points" reads as: a true difference of X points or more would have been detected (80% of the time). ' +
      'Seeds needed: seeds that would detect the observed difference with that power, if the spread stays the same.',
    rows: comparisons.map((c) => [
      c.arch, c.attention, c.baseline, signed(c.meanDifference), interval(c.low, c.high), pValue(c.p), pValue(c.pAdjusted),
      Number.isNaN(c.adjustedLow) ? '—' : `${interval(c.adjustedLow, c.adjustedHigh)} (${percent(c.adjustedConfidence)})`,
      pValue(c.signFlipP), interval(c.bootstrapLow, c.bootstrapHigh),
      Number.isFinite(c.detectableDifference) ? c.detectableDifference.toFixed(2) : '—',
      c.n < 2 || c.verdict !== 'no significant difference' ? '—' : c.seedsToResolve === null ? '> 1000' : String(c.seedsToResolve),
      String(c.n), verdictText(c),
    ]),
  };
}
