// The pieces of an ablation's report.html beyond its tables: the forest plot
// of paired differences, accuracy per variant with every seed, loss and eval
// curves, per-class accuracy and a confusion matrix for one variant, and the
// recipe and environment that make the page stand alone.
import type { CellRecord } from './cell-record';
import type { Environment } from '../record/environment';
import { CurvePoint, ForestRow, confusionSpec, curveSpec, forestSpec, seedDotsSpec } from '../record/charts';
import { ReportBlock, ReportTable } from '../record/html';
import { AdjustedComparison, meanInterval } from './stats';

export interface PageVariant {
  arch: string;
  attention: string;
  seeds: number[];
  top1: number[];
}

export interface PageCell {
  arch: string;
  attention: string;
  seed: number;
  record: CellRecord;
}

export type PageComparison = AdjustedComparison & { arch: string; attention: string; baseline: string };

/** Chart titles, also what the report's tests look for. */
export const CHART_TITLES = {
  forest: 'paired differences in top-1 (points) with Holm-adjusted intervals',
  seeds: 'test top-1 (%) per variant: every seed, mean and 95% CI',
  loss: 'training loss (mean ± 1 std over seeds)',
  eval: 'test top-1 (%) during training (mean ± 1 std over seeds)',
  confusion: (variant: string): string => `confusion matrix: ${variant} (summed over seeds)`,
};

const variantName = (arch: string, attention: string, archs: number): string => (archs > 1 ? `${arch} ${attention}` : attention);

export function forestBlock(comparisons: PageComparison[], archs: number): ReportBlock | null {
  const rows: ForestRow[] = comparisons.filter((c) => c.n >= 2).map((c) => ({
    label: `${variantName(c.arch, c.attention, archs)} vs ${c.baseline}`,
    difference: c.meanDifference, low: c.adjustedLow, high: c.adjustedHigh, verdict: c.verdict,
  }));
  return rows.length ? { kind: 'chart', title: CHART_TITLES.forest, spec: forestSpec(CHART_TITLES.forest, 'Δ top-1 (points), candidate − baseline', rows) } : null;
}

export function seedDotsBlock(variants: PageVariant[], archs: number): ReportBlock | null {
  const present = variants.filter((v) => v.top1.length > 0);
  if (!present.length) return null;
  const seeds = present.flatMap((v) => v.seeds.map((seed, i) => ({ variant: variantName(v.arch, v.attention, archs), seed, value: v.top1[i] })));
  const means = present.map((v) => ({ variant: variantName(v.arch, v.attention, archs), ...meanInterval(v.top1) }));
  return { kind: 'chart', title: CHART_TITLES.seeds, spec: seedDotsSpec(CHART_TITLES.seeds, 'top-1 (%)', seeds, means) };
}

/** Loss curves, and beside them the eval accuracy over iterations when the cells evaluated during training. */
export function curvesBlock(cells: PageCell[]): ReportBlock | null {
  const series = (c: PageCell): string => `${c.arch} ${c.attention}`;
  const loss: CurvePoint[] = cells.flatMap((c) => c.record.loss.map((p) => ({ series: series(c), seed: c.seed, ...p })));
  const evals: CurvePoint[] = cells.flatMap((c) => c.record.evalTop1.map((p) => ({ series: series(c), seed: c.seed, ...p })));
  const band = new Set(cells.map((c) => c.seed)).size > 1;
  const blocks: ReportBlock[] = [];
  if (loss.length) blocks.push({ kind: 'chart', title: CHART_TITLES.loss, spec: curveSpec(CHART_TITLES.loss, 'loss', loss, band, 360) });
  // One evaluation per cell (the final one) is no curve: the eval chart needs evalEvery.
  if (new Set(evals.map((p) => p.iteration)).size > 1) blocks.push({ kind: 'chart', title: CHART_TITLES.eval, spec: curveSpec(CHART_TITLES.eval, 'top-1 (%)', evals, band, 360) });
  return blocks.length ? { kind: 'row', blocks } : null;
}

/** Per-class top-1 of every variant (mean over seeds), and the confusion matrix of `focus` summed over its seeds. */
export function perClassBlocks(cells: PageCell[], variants: PageVariant[], focus: PageVariant | undefined, archs: number): ReportBlock[] {
  const withClasses = cells.filter((c) => c.record.perClassAccuracy);
  if (!withClasses.length) return [];
  const classes = Math.max(...withClasses.map((c) => c.record.perClassAccuracy!.length));
  const names = withClasses.find((c) => c.record.classNames)?.record.classNames ?? [];
  const className = (i: number): string => names[i] ?? String(i);
  const columns = variants.filter((v) => withClasses.some((c) => c.arch === v.arch && c.attention === v.attention));
  const perClass = (v: PageVariant, k: number): string => {
    const values = withClasses.filter((c) => c.arch === v.arch && c.attention === v.attention).map((c) => c.record.perClassAccuracy![k]).filter((x) => typeof x === 'number');
    return values.length ? (values.reduce((a, b) => a + b, 0) / values.length).toFixed(2) : '—';
  };
  const table: ReportTable = {
    title: 'per-class test accuracy (%), mean over seeds',
    header: ['class', ...columns.map((v) => variantName(v.arch, v.attention, archs))],
    rows: Array.from({ length: classes }, (_, k) => [className(k), ...columns.map((v) => perClass(v, k))]),
  };
  const blocks: ReportBlock[] = [{ kind: 'table', table }];
  if (focus) {
    const matrices = withClasses.filter((c) => c.arch === focus.arch && c.attention === focus.attention && c.record.confusion).map((c) => c.record.confusion!);
    if (matrices.length) {
      const sum = matrices[0].map((row, t) => row.map((_, p) => matrices.reduce((a, m) => a + (m[t]?.[p] ?? 0), 0)));
      const title = CHART_TITLES.confusion(`${focus.arch} ${focus.attention}`);
      blocks.push({ kind: 'chart', title, spec: confusionSpec(title, names, sum) });
    }
  }
  return blocks;
}

const describeValue = (v: unknown): string => (v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The recipe every cell shares, from ablation.json (resolved settings). */
export function recipeTable(grid: { archs: string[]; attentions: string[]; seeds: number[]; data?: unknown; model?: Record<string, unknown>; train?: Record<string, unknown> }): ReportTable {
  const train = grid.train ?? {};
  const model = grid.model ?? {};
  const data = (grid.data ?? {}) as Record<string, unknown>;
  const optimizer = (train.optimizer ?? {}) as Record<string, unknown>;
  const schedule = (train.schedule ?? {}) as Record<string, unknown>;
  const fields = (o: Record<string, unknown>, skip: string[]): string =>
    Object.entries(o).filter(([k]) => !skip.includes(k)).map(([k, v]) => `${k} ${describeValue(v)}`).join(', ');
  const isCliSpec = typeof data.data === 'string';
  const rows: [string, string][] = [
    ['dataset', isCliSpec ? `${data.data}${data.testData ? `, test ${data.testData}` : ''}${data.imageSize ? `, image size ${describeValue(data.imageSize)}` : ''}` : describeValue(grid.data)],
    ['augmentation', isCliSpec ? (data.augment === false ? 'none' : 'random crop + horizontal flip') : '—'],
    ['archs', grid.archs.join(', ')],
    ['attentions', grid.attentions.join(', ')],
    ['stem', describeValue(model.stem)],
    ['model', fields(model, ['stem'])],
    ['batch', describeValue(train.batchSize)],
    ['iterations', describeValue(train.iterations)],
    ['optimizer', `${describeValue(optimizer.type)} (${fields(optimizer, ['type'])})`],
    ['schedule', `${describeValue(schedule.type)} (${fields(schedule, ['type'])})`],
    ['label smoothing', describeValue(train.labelSmoothing)],
    ['eval every', train.evalEvery ? `${describeValue(train.evalEvery)} iterations` : 'end of training only'],
    ['seeds', grid.seeds.join(', ')],
    ['other settings', fields(train, ['batchSize', 'iterations', 'optimizer', 'schedule', 'labelSmoothing', 'evalEvery'])],
  ];
  return { title: 'recipe (shared by every cell)', header: ['setting', 'value'], rows, text: true };
}

/** The environments the cells trained in; one column per distinct environment, with how many cells used it. */
export function environmentTable(environments: Environment[]): ReportTable | null {
  if (!environments.length) return null;
  const distinct = new Map<string, { env: Environment; cells: number }>();
  for (const env of environments) {
    const key = JSON.stringify(env);
    distinct.set(key, { env, cells: (distinct.get(key)?.cells ?? 0) + 1 });
  }
  const envs = [...distinct.values()];
  const row = (label: string, f: (e: Environment) => string): string[] => [label, ...envs.map(({ env }) => f(env))];
  return {
    title: 'environment the cells trained in',
    text: true,
    header: ['', ...envs.map(({ cells }) => `${cells} cell${cells === 1 ? '' : 's'}`)],
    rows: [
      row('senet-lab', (e) => e.senetLab),
      row('libtorch', (e) => e.libtorch),
      row('CPU', (e) => `${e.cpu} (${e.cores} logical cores)`),
      row('CPU vector flags', (e) => e.cpuFlags.join(' ') || '—'),
      row('GPU', (e) => e.gpu),
      row('device', (e) => e.device),
      row('threads', (e) => String(e.threads)),
      row('mixed precision (amp)', (e) => e.amp),
      row('node', (e) => e.node),
      row('OS', (e) => e.os),
    ],
  };
}
