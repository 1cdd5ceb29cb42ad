// The summary of an ablation from its finished cells: the seed paper's table
// shape (mean ± std over seeds), paired comparisons against `none` and `se`,
// results.json/csv and report.html with the loss curves.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ClaimOwner } from './claims';
import type { AblationCell, AblationOptions, AblationResult, Comparison, PendingCell, VariantStats } from './ablate';
import { canonicalAttention } from '../options';
import { RunSummary } from './run';
import { CurvePoint } from './report/charts';
import { formatMeanStd, mean, pairedComparison, std } from './report/stats';
import { writeReport } from './report/html';
import { writeResults } from './report/results';

/** "resnet18 se seed 2". */
export function cellName(cell: Pick<AblationCell, 'arch' | 'attention' | 'seed'>): string {
  return `${cell.arch} ${cell.attention} seed ${cell.seed}`;
}

/** "host pid 123". */
export function ownerName(owner: ClaimOwner | null | undefined): string {
  return owner ? `${owner.host} pid ${owner.pid}` : 'an unknown worker';
}

function readLossCurve(cell: AblationCell): CurvePoint[] {
  const file = path.join(cell.dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  const points = new Map<number, number>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { type: string; iteration: number; loss: number };
    if (e.type === 'step' && typeof e.loss === 'number') points.set(e.iteration, e.loss); // a resumed run rewrites later points
  }
  return [...points].map(([iteration, value]) => ({ series: `${cell.arch} ${cell.attention}`, iteration, value, seed: cell.seed }));
}

/** Tables, statistics and report files of the cells finished so far. */
export async function summarize(
  outDir: string,
  grid: Pick<AblationOptions, 'archs' | 'attentions' | 'seeds'>,
  cells: AblationCell[],
  finished: (RunSummary | null)[],
  pending: PendingCell[],
  stopped: boolean,
): Promise<AblationResult> {
  const summaries = finished.filter((s): s is RunSummary => s !== null);
  const variants: VariantStats[] = [];
  for (const arch of grid.archs) {
    for (const attention of [...new Set(grid.attentions.map(canonicalAttention))]) {
      const runs = summaries.filter((s) => s.arch === arch && s.attention === attention && s.top1 !== null);
      variants.push({ arch, attention, seeds: runs.map((r) => r.seed), top1: runs.map((r) => r.top1!), top5: runs.map((r) => r.top5!) });
    }
  }
  const bySeed = (v: VariantStats): Map<number, number> => new Map(v.seeds.map((s, i) => [s, v.top1[i]]));
  const comparisons: Comparison[] = [];
  for (const v of variants) {
    for (const baseline of ['none', 'se'] as const) {
      const base = variants.find((b) => b.arch === v.arch && b.attention === baseline);
      if (!base || v.attention === baseline || (baseline === 'se' && v.attention === 'none')) continue;
      comparisons.push({ arch: v.arch, attention: v.attention, baseline, metric: 'top1', ...pairedComparison(bySeed(v), bySeed(base)) });
    }
  }
  const rows = summaries.map((s) => ({ ...s }) as unknown as Record<string, unknown>);
  const pendingJson = pending.map((p) => ({ arch: p.cell.arch, attention: p.cell.attention, seed: p.cell.seed, trainingBy: p.owner ? { host: p.owner.host, pid: p.owner.pid } : null }));
  // Written into a private directory, then renamed into place: concurrent workers never leave a torn file.
  const tmp = path.join(outDir, `.summary-${crypto.randomUUID()}`);
  try {
    writeResults(tmp, {
      cells: summaries,
      variants: variants.map((v) => ({ ...v, top1Mean: mean(v.top1), top1Std: std(v.top1), top5Mean: mean(v.top5), top5Std: std(v.top5) })),
      comparisons,
      stopped,
      finished: summaries.length,
      total: cells.length,
      pending: pendingJson,
    }, rows);
    const lossPoints = cells.filter((_, i) => finished[i]).flatMap(readLossCurve);
    const training = pending.filter((p) => p.owner);
    const waiting = pending.filter((p) => !p.owner);
    await writeReport(
      tmp,
      'senet-lab ablation',
      `${grid.archs.join(', ')} × ${variants.map((v) => v.attention).filter((a, i, all) => all.indexOf(a) === i).join(', ')} × seeds ${grid.seeds.join(', ')}; ` +
        `${summaries.length} of ${cells.length} cells finished` +
        (training.length ? `; being trained: ${training.map((p) => `${cellName(p.cell)} (${ownerName(p.owner)})`).join(', ')}` : '') +
        (waiting.length ? `; not started or interrupted: ${waiting.map((p) => cellName(p.cell)).join(', ')}` : ''),
      [{ title: 'training loss (mean ± 1 std over seeds)', yTitle: 'loss', points: lossPoints, band: grid.seeds.length > 1 }],
      [...ablationTables(variants), comparisonTable(comparisons)],
    );
    for (const name of ['results.csv', 'report.html', 'results.json']) fs.renameSync(path.join(tmp, name), path.join(outDir, name));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const files = { report: path.join(outDir, 'report.html'), resultsJson: path.join(outDir, 'results.json'), resultsCsv: path.join(outDir, 'results.csv') };
  return { cells: summaries, variants, comparisons, stopped, total: cells.length, pending, files };
}

/** The seed paper's table shape: rows top-1/top-5, one column per variant, mean ± std over seeds. */
export function ablationTables(variants: VariantStats[]): { title: string; header: string[]; rows: string[][] }[] {
  const archs = [...new Set(variants.map((v) => v.arch))];
  return archs.map((arch) => {
    const columns = variants.filter((v) => v.arch === arch);
    return {
      title: `${arch}: test accuracy (%), mean ± std over seeds`,
      header: ['', ...columns.map((v) => v.attention)],
      rows: [
        ['top-1', ...columns.map((v) => formatMeanStd(v.top1))],
        ['top-5', ...columns.map((v) => formatMeanStd(v.top5))],
        ['seeds', ...columns.map((v) => String(v.seeds.length))],
      ],
    };
  });
}

export function comparisonTable(comparisons: Comparison[]): { title: string; header: string[]; rows: string[][] } {
  const signed = (v: number): string => (Number.isNaN(v) ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
  return {
    title: 'paired differences in top-1 (points), 95% confidence interval over seeds',
    header: ['arch', 'variant', 'vs', 'mean Δ', '95% CI', 'seeds', 'verdict'],
    rows: comparisons.map((c) => [c.arch, c.attention, c.baseline, signed(c.meanDifference), Number.isNaN(c.low) ? '—' : `[${signed(c.low)}, ${signed(c.high)}]`, String(c.n), c.verdict]),
  };
}
