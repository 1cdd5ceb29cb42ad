// The product around the engine: CLI commands and exit codes, recorded runs
// (TensorBoard, results, report.html rendered in headless Chromium), ablation
// statistics and resumability.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { tempDir } from './helpers/files';
import { readEvents } from './helpers/tfevents';

const dir = tempDir('cli');
const CLI = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

function renderedDom(file: string): string {
  const profile = fs.mkdtempSync(path.join(dir, 'chromium-'));
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 120_000 });
  return r.stdout;
}

describe('senet-lab train / eval / info', () => {
  const out = path.join(dir, 'run');

  test('train writes metrics, TensorBoard events with valid CRCs, results and weights; eval reads them', () => {
    const r = cli('train', '--data', 'fashion-mnist', '--attention', 'model2', '--iterations', '12', '--batch-size', '16', '--log-every', '4',
      '--eval-every', '12', '--lr', '0.02', '--schedule', 'cosine', '--warmup-iterations', '2', '--seed', '7', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/resnet18 model2 .*│ 12 /);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.summary).toMatchObject({ arch: 'resnet18', attention: 'avgmax-add', seed: 7, iterations: 12 });
    expect(results.summary.top1).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8').split('\n')[0]).toContain('top1');
    const boardDir = path.join(out, 'tensorboard');
    const events = readEvents(path.join(boardDir, fs.readdirSync(boardDir)[0]));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events.filter((e) => 'train/loss' in e.scalars).map((e) => e.step)).toEqual([4, 8, 12]);
    expect(events.find((e) => 'eval/top1' in e.scalars)!.scalars['eval/top1']).toBeCloseTo(results.summary.top1, 3);
    expect(events.find((e) => e.step === 4)!.scalars['train/lr']).toBeGreaterThan(0);

    const ev = cli('eval', '--weights', path.join(out, 'model.safetensors'), '--data', 'fashion-mnist');
    expect(ev.status).toBe(0);
    expect(ev.stdout).toContain(results.summary.top1.toFixed(2));
    expect(ev.stdout).toMatch(/Ankle boot/);
    expect(ev.stdout).toMatch(/confusion matrix/);
  });

  (CHROMIUM ? test : test.skip)('report.html renders its charts in headless Chromium', () => {
    const dom = renderedDom(path.join(out, 'report.html'));
    expect(dom).toContain('<svg');
    expect(dom).toMatch(/training loss/);
    expect(dom).toMatch(/resnet18 model2 top-1/); // legend entry of the accuracy series
    expect((dom.match(/<figure/g) ?? []).length).toBe(3);
  });

  test('usage errors exit 2 with one clear line; run failures exit 1', () => {
    const usage = cli('train', '--lr', 'fast');
    expect(usage.status).toBe(2);
    expect(usage.stderr.trim()).toBe("senet-lab: lr: must be a number > 0, got 'fast'");
    const config = path.join(dir, 'bad.json');
    fs.writeFileSync(config, JSON.stringify({ batchSize: 0 }));
    const bad = cli('train', '--config', config);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/senet-lab: batchSize: must be an integer in \[1, 1048576\], got 0 \(in .*bad.json\)/);
    expect(cli('train', '--data', 'mnist').stderr).toMatch(/data: unknown dataset 'mnist'; valid: fashion-mnist/);
    expect(cli('frobnicate').status).toBe(2);
    const failed = cli('train', '--iterations', '2', '--resume', path.join(dir, 'no-such-run'));
    expect(failed.status).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/resume: no checkpoint in/);
    const info = cli('info');
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/libtorch\s+│ \d+\.\d+/);
    expect(info.stdout).toMatch(/openblas/);
    expect(info.stdout).toMatch(/OpenMP\s+│ \S*libgomp\S* \(per-thread counts reach it\)/);
  });
});

describe('senet-lab ablate', () => {
  const out = path.join(dir, 'ablation');
  // A small Fashion-MNIST subset keeps the six cells and their evaluations quick.
  const data = path.join(dir, 'fashion-mnist-small');
  beforeAll(() => {
    fs.mkdirSync(data, { recursive: true });
    const subset = (name: string, count: number, header: number, itemBytes: number): void => {
      const all = zlib.gunzipSync(fs.readFileSync(path.join('/usr/share/datasets/fashion-mnist', `${name}.gz`)));
      const part = Buffer.from(all.subarray(0, header + count * itemBytes));
      part.writeUInt32BE(count, 4);
      fs.writeFileSync(path.join(data, name), part);
    };
    subset('train-images-idx3-ubyte', 128, 16, 784);
    subset('train-labels-idx1-ubyte', 128, 8, 1);
    subset('t10k-images-idx3-ubyte', 100, 16, 784);
    subset('t10k-labels-idx1-ubyte', 100, 8, 1);
  });
  const grid = ['--data', `idx:${data}`, '--attentions', 'none,senet,model4', '--seeds', '1,2', '--iterations', '4', '--batch-size', '8', '--log-every', '2', '--eval-every', '2'];
  const args = ['ablate', ...grid, '--out', out];

  test('--estimate times a few steps per variant, prints the grid\'s expected wall time and trains nothing', () => {
    const estimateOut = path.join(dir, 'estimate');
    const r = cli('ablate', ...grid, '--eval-batch-size', '4', '--out', estimateOut, '--estimate');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/expected wall time on this machine/);
    for (const variant of ['none', 'se', 'dual-add']) expect(r.stdout).toMatch(new RegExp(`resnet18 │ ${variant}\\s+│ [\\d.]+\\s+│ \\d+\\s+│ [\\d.]+\\s+│ [\\d.]+ (s|min)\\s+│ 2 `));
    expect(r.stdout).toMatch(/6 of 6 cells to train: about [\d.]+ (s|min)/);
    expect(fs.existsSync(estimateOut)).toBe(false); // nothing written
  });

  test('runs the grid, prints the seed table with cost, Holm-adjusted paired comparisons, the grid ETA, and resumes', () => {
    const first = cli(...args);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/resnet18: test accuracy \(%\), mean ± std over seeds; cost per cell/);
    expect(first.stdout).toMatch(/top-1\s+│ [\d.]+ ± [\d.]+\s+│/);
    expect(first.stdout).toMatch(/parameters\s+│ 11\.\d\d M\s+│ 11\.\d\d M/);
    expect(first.stdout).toMatch(/verdicts from Holm–Bonferroni adjusted p-values over the 3 comparisons/);
    const signed = '[+-][\\d.]+';
    const ci = `\\[${signed}, ${signed}\\]`;
    expect(first.stdout).toMatch(new RegExp(`dual-add\\s+│ none\\s+│ ${signed}\\s+│ ${ci}\\s+│ [\\d.<]+\\s+│ [\\d.<]+\\s+│ ${ci} \\([\\d.]+%\\)\\s+│ [\\d.]+\\s+│ ${ci}\\s+│ [\\d.]+\\s+│ [\\d>— ]+│ 2\\s+│ (better|worse|no difference larger than [\\d.]+ points|no difference on any seed)`));
    expect(first.stdout).toMatch(/\[2\/6\] resnet18 none seed 2: starting; grid ETA \d+ (s|min)/);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.cells).toHaveLength(6);
    expect(results.comparisons.map((c: { attention: string; baseline: string }) => `${c.attention}/${c.baseline}`)).toEqual(['se/none', 'dual-add/none', 'dual-add/se']);
    expect(results.cells[0].parameters).toBeGreaterThan(11e6);
    expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(7);

    // Finished cells are not rerun; a cell without results is.
    fs.rmSync(path.join(out, 'cells', 'resnet18', 'se', 'seed-2', 'results.json'));
    const again = cli(...args);
    expect(again.status).toBe(0);
    expect(again.stdout.match(/already finished/g)).toHaveLength(5);
    expect(again.stdout).toMatch(/resnet18 se seed 2: resuming/);
  });

  (CHROMIUM ? test : test.skip)('report.html renders every chart with its series in headless Chromium', () => {
    const dom = renderedDom(path.join(out, 'report.html'));
    const figure = (title: string): string => {
      const start = dom.indexOf(`<figure data-chart="${title}">`);
      expect(start).toBeGreaterThanOrEqual(0);
      return dom.slice(start, dom.indexOf('</figure>', start));
    };
    const texts = (html: string): string[] => [...html.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect((dom.match(/<figure/g) ?? []).length).toBe(5);
    const forest = figure('paired differences in top-1 (points) with Holm-adjusted intervals');
    expect(texts(forest)).toEqual(expect.arrayContaining(['se vs none', 'dual-add vs none', 'dual-add vs se']));
    expect((forest.match(/aria-roledescription="point"/g) ?? []).length).toBe(3);
    const seeds = figure('test top-1 (%) per variant: every seed, mean and 95% CI');
    expect(texts(seeds)).toEqual(expect.arrayContaining(['none', 'se', 'dual-add']));
    expect((seeds.match(/aria-roledescription="point"/g) ?? []).length).toBe(6);
    for (const title of ['training loss (mean ± 1 std over seeds)', 'test top-1 (%) during training (mean ± 1 std over seeds)']) {
      expect(texts(figure(title))).toEqual(expect.arrayContaining(['resnet18 none', 'resnet18 se', 'resnet18 dual-add']));
    }
    const best = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).variants
      .sort((a: { top1Mean: number }, b: { top1Mean: number }) => b.top1Mean - a.top1Mean)[0].attention;
    const confusion = figure(`confusion matrix: resnet18 ${best} (summed over seeds)`);
    expect((confusion.match(/aria-roledescription="rect mark"/g) ?? []).length).toBe(100);
    expect(dom).toMatch(/per-class test accuracy/);
    expect(dom).toMatch(/recipe \(shared by every cell\)/);
    expect(dom).toMatch(/<td>libtorch<\/td><td>\d+\.\d+/);
    expect(dom).toMatch(/<td>CPU vector flags<\/td>/);
  });
});
