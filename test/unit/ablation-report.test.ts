// An ablation's report.html and results.json from cells a fake trainer writes
// as a recorded run does (metrics.jsonl with steps and evaluations,
// results.json with the final evaluation, class names and environment):
// every chart is there with its series, the tables carry the adjusted
// statistics, the cost, the recipe and the environment. No addon: the
// charts are rendered to SVG in Node. The grid's ETA is checked here too.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CellJob, CellRun, ablate, ablationReport } from '../../lib/ablation/ablate';
import { CHART_TITLES } from '../../lib/ablation/page';
import { cpuFlags } from '../../lib/record/environment';
import { evaluationsPerCell, formatDuration } from '../../lib/ablation/estimate';
import { GridEta } from '../../lib/ablation/grid-eta';
import { RunSummary } from '../../lib/record/recorded-train';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-ablation-report-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const CLASSES = ['T-shirt', 'Trouser', 'Pullover'];
const environment = {
  senetLab: '0.1.0', libtorch: '1.13.1', node: 'v20', os: 'Linux', cpu: 'Test CPU 9000', cpuFlags: ['avx2', 'avx512f'], cores: 2,
  gpu: 'none', device: 'cpu', threads: 2, amp: 'off',
};

/** Top-1 per variant and seed; se is clearly better than none, dual-add is not clearly different from none. */
const TOP1: Record<string, number[]> = { none: [70, 71, 70.5], se: [73, 74.1, 73.4], 'dual-add': [70.4, 70.6, 71.3] };

async function fakeRecordedRun(job: CellJob): Promise<CellRun> {
  const { cell } = job;
  fs.mkdirSync(cell.dir, { recursive: true });
  const top1 = TOP1[cell.attention][cell.seed - 1];
  const lines = [2, 4, 6, 8].flatMap((it) => [
    { type: 'step', iteration: it, loss: 2 / it + cell.seed / 100, lr: 0.1, imagesPerSecond: 100, epoch: 0 },
    ...(it % 4 === 0 ? [{ type: 'eval', iteration: it, top1: top1 - 8 / it, top5: 99, loss: 1, epoch: 0 }] : []),
  ]);
  fs.writeFileSync(path.join(cell.dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const summary: RunSummary = {
    name: `${cell.arch} ${cell.attention} seed ${cell.seed}`, arch: cell.arch, attention: cell.attention, seed: cell.seed, iterations: 8,
    top1, top5: 99, loss: 0.5, bestTop1: top1, wallSeconds: cell.attention === 'none' ? 60 : 66, imagesPerSecond: cell.attention === 'none' ? 100 : 91,
    parameters: cell.attention === 'none' ? 11_172_042 : 11_258_058, stopped: false,
  };
  const confusion = [[8, 1, 1], [0, 10, 0], [2, 0, 8 + cell.seed]];
  const finalEval = { top1, top5: 99, loss: 0.5, count: 30, perClassAccuracy: [80, 100, cell.attention === 'se' ? 90 : 60], confusion };
  fs.writeFileSync(path.join(cell.dir, 'results.json'), JSON.stringify({ summary, result: { finalEval }, environment, classNames: CLASSES }));
  return { summary, stopped: false };
}

const data = { train: { images: new Uint8Array(4), labels: [0], shape: [1, 1, 2, 2] as [number, number, number, number] } };

test('report.html: forest plot, seeds per variant, loss and eval curves, per-class table, confusion heatmap, recipe, environment', async () => {
  const out = path.join(root, 'grid');
  const result = await ablate({
    archs: ['resnet18'], attentions: ['none', 'se', 'model4'], seeds: [1, 2, 3], outDir: out, trainCell: fakeRecordedRun,
    train: { iterations: 8, batchSize: 16, evalEvery: 4, labelSmoothing: 0.1, data }, model: { stem: 'cifar' },
    dataSpec: { data: 'fashion-mnist', augment: true },
  });
  expect(result.comparisons.map((c) => `${c.attention}/${c.baseline}: ${c.verdict}`)).toEqual([
    'se/none: better', 'dual-add/none: no significant difference', 'dual-add/se: worse',
  ]);
  const html = fs.readFileSync(result.files.report, 'utf8');
  const figure = (title: string): string => {
    const start = html.indexOf(`<figure data-chart="${title}">`);
    expect(start).toBeGreaterThanOrEqual(0);
    return html.slice(start, html.indexOf('</figure>', start));
  };
  const svgText = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

  // Forest plot: one row per comparison, the zero line, the adjusted interval as a bar.
  const forest = figure(CHART_TITLES.forest);
  expect(svgText(forest)).toEqual(expect.arrayContaining(['se vs none', 'dual-add vs none', 'dual-add vs se', 'better', 'worse']));
  expect((forest.match(/aria-roledescription="point"/g) ?? []).length).toBe(3);
  // Accuracy per variant: the variants on the axis, nine seed dots.
  const seeds = figure(CHART_TITLES.seeds);
  expect(svgText(seeds)).toEqual(expect.arrayContaining(['none', 'se', 'dual-add', 'top-1 (%)']));
  expect((seeds.match(/aria-roledescription="point"/g) ?? []).length).toBe(9);
  // Loss and eval accuracy side by side, one series per variant.
  const row = html.slice(html.indexOf('<div class="row">'), html.indexOf('</div>', html.indexOf('<div class="row">')));
  expect(row).toContain(`data-chart="${CHART_TITLES.loss}"`);
  expect(row).toContain(`data-chart="${CHART_TITLES.eval}"`);
  for (const title of [CHART_TITLES.loss, CHART_TITLES.eval]) {
    expect(svgText(figure(title))).toEqual(expect.arrayContaining(['resnet18 none', 'resnet18 se', 'resnet18 dual-add']));
  }
  // Confusion matrix of the best variant (se), summed over its three seeds: 3·8, 3·10, 9 + 10 + 11, 3·2, 3·1 in the cells.
  const confusion = figure(CHART_TITLES.confusion('resnet18 se'));
  expect(svgText(confusion)).toEqual(expect.arrayContaining([...CLASSES, '24', '30', '6', '3']));
  expect((confusion.match(/aria-roledescription="rect mark"/g) ?? []).length).toBe(9);
  // Tables: per-class accuracy with class names, cost, adjusted statistics, recipe, environment.
  expect(html).toMatch(/<td>Pullover<\/td><td>60.00<\/td><td>90.00<\/td><td>60.00<\/td>/);
  expect(html).toMatch(/<td>time vs none<\/td><td>\+0%<\/td><td>\+10%<\/td><td>\+10%<\/td>/);
  expect(html).toMatch(/<td>parameters<\/td><td>11.17 M<\/td><td>11.26 M<\/td>/);
  expect(html).toContain('verdicts from Holm–Bonferroni adjusted p-values over the 3 comparisons');
  expect(html).toMatch(/<td>stem<\/td><td>cifar<\/td>/);
  expect(html).toMatch(/<td>augmentation<\/td><td>random crop \+ horizontal flip<\/td>/);
  expect(html).toMatch(/<td>label smoothing<\/td><td>0.1<\/td>/);
  expect(html).toMatch(/<td>eval every<\/td><td>4 iterations<\/td>/);
  expect(html).toMatch(/<td>seeds<\/td><td>1, 2, 3<\/td>/);
  expect(html).toMatch(/<th>9 cells<\/th>/);
  expect(html).toMatch(/<td>CPU vector flags<\/td><td>avx2 avx512f<\/td>/);
  expect(html).toMatch(/<td>libtorch<\/td><td>1.13.1<\/td>/);
  expect(html).not.toMatch(/<script/); // self-contained, static

  const json = JSON.parse(fs.readFileSync(result.files.resultsJson, 'utf8'));
  expect(json.statistics).toEqual({ familyWiseAlpha: 0.05, adjustment: 'holm-bonferroni', comparisons: 3, power: 0.8 });
  expect(json.comparisons[0]).toMatchObject({ attention: 'se', baseline: 'none', verdict: 'better', rawVerdict: 'better' });
  expect(json.comparisons[0].pAdjusted).toBeCloseTo(3 * json.comparisons[0].p, 12);
  expect(json.variants[0]).toMatchObject({ attention: 'none', wallSecondsMean: 60, imagesPerSecondMean: 100, parameters: 11_172_042 });

  // Another variant's confusion matrix on request; an unknown one is a clear error.
  const other = await ablationReport(out, { reportVariant: 'model4' });
  expect(fs.readFileSync(other.files.report, 'utf8')).toContain(`data-chart="${CHART_TITLES.confusion('resnet18 dual-add')}"`);
  await expect(ablationReport(out, { reportVariant: 'cbam' })).rejects.toThrow("reportVariant: 'cbam' is not a variant of this ablation; valid: none, se, dual-add");
});

test('without evaluations during training there is no eval curve (one point per cell is no curve)', async () => {
  const out = path.join(root, 'no-eval');
  const result = await ablate({
    archs: ['resnet18'], attentions: ['none'], seeds: [1], outDir: out, train: { iterations: 8, data }, dataSpec: { data: 'fake' },
    trainCell: async (job) => {
      const run = await fakeRecordedRun(job);
      const metrics = path.join(job.cell.dir, 'metrics.jsonl');
      fs.writeFileSync(metrics, fs.readFileSync(metrics, 'utf8').split('\n').filter((l) => !l.includes('"eval"') || l.includes('"iteration":8')).join('\n'));
      return run;
    },
  });
  const html = fs.readFileSync(result.files.report, 'utf8');
  expect(html).toContain(`data-chart="${CHART_TITLES.loss}"`);
  expect(html).not.toContain(`data-chart="${CHART_TITLES.eval}"`);
  expect(html).not.toContain(`data-chart="${CHART_TITLES.forest}"`); // nothing to compare
  expect(html).toMatch(/<td>eval every<\/td><td>end of training only<\/td>/);
});

test('the grid ETA: the current cell at its pace plus the waiting cells at the mean finished cell time', () => {
  let now = 0;
  const eta = new GridEta(100, () => now);
  eta.startCell();
  expect(eta.secondsLeft(3)).toBeNaN(); // no pace yet
  eta.step(10);
  now = 9_000;
  eta.step(40); // 30 iterations in 9 s: 0.3 s each
  expect(eta.secondsLeft(3)).toBeCloseTo(60 * 0.3 + 3 * 100 * 0.3, 9);
  now = 27_000;
  eta.step(100);
  eta.finishCell(); // a whole cell at that pace: 30 s
  eta.startCell();
  expect(eta.secondsLeft(2)).toBeCloseTo(30 + 2 * 30, 9); // the next cell before its first step: a mean cell
  eta.step(50); // a resumed cell: its pace counts from here
  now = 32_000;
  eta.step(60); // 0.5 s per iteration
  expect(eta.secondsLeft(2)).toBeCloseTo(40 * 0.5 + 2 * 30, 9);
});

test('estimate helpers: evaluations per cell, durations; CPU vector flags from /proc/cpuinfo', () => {
  expect(evaluationsPerCell(1000, 0)).toBe(1);
  expect(evaluationsPerCell(1000, 250)).toBe(4); // the last one is the final evaluation
  expect(evaluationsPerCell(1000, 300)).toBe(4); // 300, 600, 900 and the final one
  expect(formatDuration(42.4)).toBe('42 s');
  expect(formatDuration(12 * 60 + 10)).toBe('12 min');
  expect(formatDuration(2 * 3600 + 5 * 60)).toBe('2 h 05 min');
  expect(formatDuration(Number.NaN)).toBe('—');
  expect(cpuFlags('processor\t: 0\nflags\t\t: fpu sse2 sse4_2 avx avx2 fma avx512f avx512_bf16 amx_tile ht\n')).toEqual(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_tile']);
  expect(cpuFlags('Features\t: fp asimd asimdhp sve\n')).toEqual(['asimd', 'asimdhp', 'sve']);
  expect(cpuFlags('')).toEqual([]);
});
