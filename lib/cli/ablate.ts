// The seed's experiment as one call: archs × attentions × seeds, run one
// after another, resumable (finished cells are read back, interrupted cells
// resume from their checkpoint), summarised as mean ± std over seeds with
// paired 95% confidence intervals against the plain ResNet and against SE.
import * as fs from 'fs';
import * as path from 'path';
import { Arch, Attention, AttentionAlias, ModelOptions, OptionError, canonicalAttention } from '../options';
import { RunSummary, recordedTrain } from './run';
import { TrainEvent, TrainOptions } from '../train';
import { CurvePoint } from './report/charts';
import { PairedComparison, formatMeanStd, mean, pairedComparison, std } from './report/stats';
import { writeReport } from './report/html';
import { writeResults } from './report/results';

export interface AblationOptions {
  archs: Arch[];
  attentions: (Attention | AttentionAlias)[];
  seeds: number[];
  outDir: string;
  /** Everything else of a train() call, shared by all cells (data, iterations, optimizer, …). */
  train: Omit<TrainOptions, 'model' | 'seed' | 'outDir' | 'resume'>;
  /** Model options shared by all cells (stem, inChannels, numClasses, reduction, device). */
  model?: Omit<ModelOptions, 'arch' | 'attention' | 'seed'>;
  onCell?: (cell: AblationCell, status: 'done' | 'resuming' | 'starting' | 'finished') => void;
  onEvent?: (cell: AblationCell, event: TrainEvent) => void;
  signal?: AbortSignal;
}

export interface AblationCell {
  arch: Arch;
  attention: Attention;
  seed: number;
  dir: string;
}

export interface VariantStats {
  arch: Arch;
  attention: Attention;
  seeds: number[];
  top1: number[];
  top5: number[];
}

export interface Comparison extends PairedComparison {
  arch: Arch;
  attention: Attention;
  baseline: Attention;
  metric: 'top1';
}

export interface AblationResult {
  cells: RunSummary[];
  variants: VariantStats[];
  comparisons: Comparison[];
  stopped: boolean;
  files: { report: string; resultsJson: string; resultsCsv: string };
}

export function cellsOf(options: Pick<AblationOptions, 'archs' | 'attentions' | 'seeds' | 'outDir'>): AblationCell[] {
  if (!options.archs?.length) throw new OptionError('archs', 'needs at least one arch');
  if (!options.attentions?.length) throw new OptionError('attentions', 'needs at least one attention');
  if (!options.seeds?.length) throw new OptionError('seeds', 'needs at least one seed');
  const attentions = [...new Set(options.attentions.map(canonicalAttention))];
  const cells: AblationCell[] = [];
  for (const arch of options.archs) {
    for (const attention of attentions) {
      for (const seed of options.seeds) cells.push({ arch, attention, seed, dir: path.join(options.outDir, 'cells', arch, attention, `seed-${seed}`) });
    }
  }
  return cells;
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

export async function ablate(options: AblationOptions): Promise<AblationResult> {
  const cells = cellsOf(options);
  const summaries: RunSummary[] = [];
  let stopped = false;
  for (const cell of cells) {
    const done = path.join(cell.dir, 'results.json');
    if (fs.existsSync(done)) {
      summaries.push((JSON.parse(fs.readFileSync(done, 'utf8')) as { summary: RunSummary }).summary);
      options.onCell?.(cell, 'done');
      continue;
    }
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    const resume = fs.existsSync(path.join(cell.dir, 'checkpoints', 'latest'));
    options.onCell?.(cell, resume ? 'resuming' : 'starting');
    const run = await recordedTrain(
      {
        ...options.train,
        model: { ...options.model, arch: cell.arch, attention: cell.attention, seed: cell.seed },
        seed: cell.seed,
        outDir: cell.dir,
        ...(resume ? { resume: cell.dir } : {}),
      },
      { name: `${cell.arch} ${cell.attention} seed ${cell.seed}`, signal: options.signal, onEvent: (e) => options.onEvent?.(cell, e) },
    );
    if (run.result.stopped) {
      // An interrupted cell is not finished: drop its results so the next call resumes it.
      fs.rmSync(path.join(cell.dir, 'results.json'), { force: true });
      stopped = true;
      break;
    }
    summaries.push(run.summary);
    options.onCell?.(cell, 'finished');
  }
  return summarize(options, cells, summaries, stopped);
}

async function summarize(options: AblationOptions, cells: AblationCell[], summaries: RunSummary[], stopped: boolean): Promise<AblationResult> {
  const variants: VariantStats[] = [];
  for (const arch of options.archs) {
    for (const attention of [...new Set(options.attentions.map(canonicalAttention))]) {
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
  const files = writeResults(options.outDir, { cells: summaries, variants: variants.map((v) => ({ ...v, top1Mean: mean(v.top1), top1Std: std(v.top1), top5Mean: mean(v.top5), top5Std: std(v.top5) })), comparisons, stopped }, rows);
  const lossPoints = cells.flatMap(readLossCurve);
  const report = await writeReport(
    options.outDir,
    'senet-lab ablation',
    `${options.archs.join(', ')} × ${variants.map((v) => v.attention).filter((a, i, all) => all.indexOf(a) === i).join(', ')} × seeds ${options.seeds.join(', ')}; ${summaries.length} of ${cells.length} cells finished`,
    [{ title: 'training loss (mean ± 1 std over seeds)', yTitle: 'loss', points: lossPoints, band: options.seeds.length > 1 }],
    [...ablationTables(variants), comparisonTable(comparisons)],
  );
  return { cells: summaries, variants, comparisons, stopped, files: { report, resultsJson: files.json, resultsCsv: files.csv } };
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
