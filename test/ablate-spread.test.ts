// One ablation grid spread over several `senet-lab ablate` runs sharing a
// directory: claims, takeover of dead workers' cells, the recorded grid, and
// `--report`. Real CLI processes on a small Fashion-MNIST subset (256 training,
// 200 test images) so that a cell trains in seconds.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { tempDir } from './helpers/files';

const dir = tempDir('spread');
const CLI = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const data = path.join(dir, 'fashion-mnist-small');
beforeAll(() => {
  fs.mkdirSync(data);
  const subset = (name: string, count: number, header: number, itemBytes: number): void => {
    const all = zlib.gunzipSync(fs.readFileSync(path.join('/usr/share/datasets/fashion-mnist', `${name}.gz`)));
    const part = Buffer.from(all.subarray(0, header + count * itemBytes));
    part.writeUInt32BE(count, 4);
    fs.writeFileSync(path.join(data, name), part);
  };
  subset('train-images-idx3-ubyte', 256, 16, 784);
  subset('train-labels-idx1-ubyte', 256, 8, 1);
  subset('t10k-images-idx3-ubyte', 200, 16, 784);
  subset('t10k-labels-idx1-ubyte', 200, 8, 1);
});

const GRID = ['--data', `idx:${data}`, '--attentions', 'none,se', '--seeds', '1,2', '--iterations', '4', '--batch-size', '8', '--log-every', '2'];
const CELLS = ['none seed 1', 'none seed 2', 'se seed 1', 'se seed 2'].map((c) => `resnet18 ${c}`);
const cellDir = (out: string, name: string): string => {
  const [arch, attention, , seed] = name.split(' ');
  return path.join(out, 'cells', arch, attention, `seed-${seed}`);
};
const claimDir = (out: string, name: string): string => cellDir(out, name).replace(`${path.sep}cells${path.sep}`, `${path.sep}claims${path.sep}`);

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function start(...args: string[]): { child: ChildProcess; done: Promise<Run>; stdout: () => string } {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ status: code ?? (signal ? -1 : -2), stdout, stderr })));
  return { child, done, stdout: () => stdout };
}

/** The lines of a worker's log that say it trained `cell`. */
const trainedLines = (log: string, cell: string): string[] => log.split('\n').filter((l) => new RegExp(`\\] ${cell}: (starting|resuming)`).test(l));

/** The tables a run prints (everything from the first table title to the status lines), without the cost rows (timings
 * differ from run to run), widths normalised. */
const tables = (stdout: string): string => stdout.slice(stdout.indexOf('resnet18: test accuracy'), stdout.search(/\n\n(done|\d+ of \d+ cells finished)/))
  .split('\n').filter((l) => !/^│ (minutes|time vs none|img\/s) /.test(l)).join('\n').replace(/ +/g, ' ').replace(/─+/g, '─');

/** What must not depend on who trained which cell: every cell's metrics, the variants and the comparisons. */
function numbers(out: string): unknown {
  const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  return {
    cells: r.cells.map((c: Record<string, unknown>) => [c.name, c.top1, c.top5, c.loss, c.bestTop1, c.iterations]),
    // Without the timings, which differ from run to run.
    variants: r.variants.map(({ wallSeconds: _w, imagesPerSecond: _i, wallSecondsMean: _wm, imagesPerSecondMean: _im, ...v }: Record<string, unknown>) => v),
    comparisons: r.comparisons,
  };
}

/** A claim file as another worker leaves it. */
function plantClaim(out: string, cell: string, owner: { host: string; pid: number }, ageSeconds: number): void {
  const d = claimDir(out, cell);
  fs.mkdirSync(d, { recursive: true });
  const file = path.join(d, '0.json');
  fs.writeFileSync(file, JSON.stringify({ ...owner, startedAt: new Date().toISOString(), token: `planted-${cell}`, scope: owner.host === os.hostname() ? localScope() : 'x' }));
  const t = new Date(Date.now() - ageSeconds * 1000);
  fs.utimesSync(file, t, t);
}

function localScope(): string {
  const read = (f: () => string): string => {
    try {
      return f().trim();
    } catch {
      return '';
    }
  };
  return [read(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')), read(() => fs.readlinkSync('/proc/self/ns/pid'))].join(' ');
}

describe('senet-lab ablate spread over several runs', () => {
  const shared = path.join(dir, 'shared');
  const single = path.join(dir, 'single');
  let singleRun: Run;

  test('two runs started together on one directory train every cell exactly once', async () => {
    const a = start('ablate', ...GRID, '--out', shared);
    const b = start('ablate', ...GRID, '--out', shared);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const r of [ra, rb]) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const logs = ra.stdout + rb.stdout;
    for (const cell of CELLS) {
      expect(trainedLines(logs, cell)).toHaveLength(1);
      // The cell's run directory holds exactly one run: one end event, each logged iteration once.
      const events = fs.readFileSync(path.join(cellDir(shared, cell), 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'step').map((e) => e.iteration)).toEqual([2, 4]);
      expect(fs.readdirSync(path.join(cellDir(shared, cell), 'tensorboard'))).toHaveLength(1);
    }
    console.log(`cells trained: first run ${CELLS.filter((c) => trainedLines(ra.stdout, c).length).length}, second ${CELLS.filter((c) => trainedLines(rb.stdout, c).length).length}`);
    // Whoever finished last found all four cells done and wrote the complete summary.
    expect([ra.stdout, rb.stdout].some((s) => /\ndone: /.test(s))).toBe(true);
    const results = JSON.parse(fs.readFileSync(path.join(shared, 'results.json'), 'utf8'));
    expect(results).toMatchObject({ finished: 4, total: 4, pending: [] });
    expect(fs.readdirSync(shared).sort()).toEqual(['ablation.json', 'cells', 'claims', 'report.html', 'results.csv', 'results.json']);
  });

  test('--report gives the numbers of a single run of the same grid', () => {
    singleRun = cli('ablate', ...GRID, '--out', single);
    expect(singleRun.stderr).toBe('');
    expect(singleRun.status).toBe(0);
    for (const cell of CELLS) expect(trainedLines(singleRun.stdout, cell)).toHaveLength(1);
    fs.rmSync(path.join(shared, 'results.json'));
    fs.rmSync(path.join(shared, 'report.html'));
    const report = cli('ablate', '--report', shared);
    expect(report.stderr).toBe('');
    expect(report.status).toBe(0);
    expect(report.stdout).not.toMatch(/starting|resuming/);
    expect(report.stdout).toMatch(/\ndone: /);
    expect(tables(report.stdout)).toMatch(/top-1\s+│ [\d.]+ ± [\d.]+\s+│/);
    expect(tables(report.stdout)).toBe(tables(singleRun.stdout));
    expect(numbers(shared)).toEqual(numbers(single));
    expect(fs.readFileSync(path.join(shared, 'report.html'), 'utf8')).toMatch(/4 of 4 cells finished/);
  });

  test('a run that joins with a different grid is refused in one line naming the field; per-machine settings may differ', () => {
    const seeds = cli('ablate', ...GRID.slice(0, 4), '--seeds', '1,3', ...GRID.slice(6), '--out', shared);
    expect(seeds.status).toBe(2);
    expect(seeds.stderr.trim().split('\n')).toHaveLength(1);
    expect(seeds.stderr.trim()).toBe(`senet-lab: seeds: ${path.join(shared, 'ablation.json')} holds an ablation with [1,2], this run asks for [1,3]; ` +
      'every run on one directory must use the same grid and shared settings (or choose another --out)');
    const lr = cli('ablate', ...GRID, '--lr', '0.1', '--out', shared);
    expect(lr.status).toBe(2);
    expect(lr.stderr).toMatch(/^senet-lab: train\.optimizer\.lr: .* holds an ablation with 0\.05, this run asks for 0\.1; /);
    const machine = cli('ablate', ...GRID, '--threads', '1', '--workers', '1', '--claim-timeout', '60', '--out', shared);
    expect(machine.stderr).toBe('');
    expect(machine.status).toBe(0);
    expect(machine.stdout.match(/already finished/g)).toHaveLength(4);
    const notAblation = cli('ablate', '--report', data);
    expect(notAblation.status).toBe(2);
    expect(notAblation.stderr.trim()).toBe(`senet-lab: report: ${path.join(data, 'ablation.json')} not found: not an ablation directory ` +
      '(ablation.json is written when `senet-lab ablate --out DIR` starts)');
    const extra = cli('ablate', '--report', shared, '--iterations', '8');
    expect(extra.status).toBe(2);
    expect(extra.stderr.trim()).toBe(`senet-lab: report: takes the grid and its settings from ${path.join(shared, 'ablation.json')}; drop --iterations`);
  });

  test('dead workers\' cells are taken over (and resume from their checkpoint); live claims are respected; --report says what is missing', async () => {
    const out = path.join(dir, 'takeover');
    // A worker killed while training its first cell leaves its claim behind, with its (now dead) pid.
    const killed = start('ablate', ...GRID, '--out', out);
    while (!/: starting/.test(killed.stdout())) await new Promise((r) => setTimeout(r, 20));
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(fs.readdirSync(claimDir(out, CELLS[0]))).toEqual(['0.json']);
    // A worker elsewhere died after its cell's checkpoint (copied from the single run, without results.json), 10 minutes ago.
    fs.cpSync(cellDir(single, CELLS[1]), cellDir(out, CELLS[1]), { recursive: true });
    fs.rmSync(path.join(cellDir(out, CELLS[1]), 'results.json'));
    plantClaim(out, CELLS[1], { host: 'elsewhere', pid: 4242 }, 600);
    // Two live workers: this test process (same host, fresh) and one elsewhere (its pid means nothing here).
    plantClaim(out, CELLS[2], { host: os.hostname(), pid: process.pid }, 0);
    plantClaim(out, CELLS[3], { host: 'elsewhere', pid: 999_999 }, 0);

    const run = cli('ablate', ...GRID, '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`\\[1/4\\] ${CELLS[0]}: starting \\(took over the claim of ${os.hostname()} pid \\d+: its process \\d+ on ${os.hostname()} is gone\\)`));
    expect(run.stdout).toMatch(new RegExp(`\\[2/4\\] ${CELLS[1]}: resuming \\(took over the claim of elsewhere pid 4242: no heartbeat for 6\\d\\d s \\(timeout 300 s\\)\\)`));
    expect(run.stdout).toMatch(new RegExp(`\\[3/4\\] ${CELLS[2]}: being trained by ${os.hostname()} pid ${process.pid}\\n`));
    expect(run.stdout).toMatch(new RegExp(`\\[4/4\\] ${CELLS[3]}: being trained by elsewhere pid 999999\\n`));
    expect(trainedLines(run.stdout, CELLS[2])).toHaveLength(0);
    expect(trainedLines(run.stdout, CELLS[3])).toHaveLength(0);
    expect(run.stdout).toMatch(/\n2 of 4 cells finished; nothing left for this run to claim\n/);
    expect(run.stdout).toMatch(new RegExp(`still being trained by others: ${CELLS[2]} \\(${os.hostname()} pid ${process.pid}, heartbeat \\d+ s ago\\), ${CELLS[3]} \\(elsewhere pid 999999, heartbeat \\d+ s ago\\)`));
    expect(fs.existsSync(path.join(cellDir(out, CELLS[2]), 'results.json'))).toBe(false);

    const partial = cli('ablate', '--report', out);
    expect(partial.status).toBe(0);
    expect(partial.stdout).toMatch(/\n2 of 4 cells finished\n/);
    expect(partial.stdout).toMatch(new RegExp(`still being trained by others: ${CELLS[2]} .*, ${CELLS[3]} `));
    expect(partial.stdout).toMatch(/se\s+│ none\s+│ (—\s+│ ){9}0\s+│ needs ≥ 2 seeds/); // no se cell finished yet: no statistics
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results).toMatchObject({ finished: 2, total: 4 });
    expect(results.pending).toEqual([
      { arch: 'resnet18', attention: 'se', seed: 1, trainingBy: { host: os.hostname(), pid: process.pid } },
      { arch: 'resnet18', attention: 'se', seed: 2, trainingBy: { host: 'elsewhere', pid: 999999 } },
    ]);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toMatch(/2 of 4 cells finished; being trained: resnet18 se seed 1/);

    // Both remaining owners stop refreshing their claims: after --claim-timeout they are taken over.
    const old = new Date(Date.now() - 120_000);
    for (const cell of CELLS.slice(2)) fs.utimesSync(path.join(claimDir(out, cell), '0.json'), old, old);
    const rest = cli('ablate', ...GRID, '--claim-timeout', '60', '--out', out);
    expect(rest.status).toBe(0);
    expect(rest.stdout).toMatch(new RegExp(`${CELLS[2]}: starting \\(took over the claim of ${os.hostname()} pid ${process.pid}: no heartbeat for 12\\d s \\(timeout 60 s\\)\\)`));
    expect(rest.stdout).toMatch(new RegExp(`${CELLS[3]}: starting \\(took over the claim of elsewhere pid 999999: no heartbeat`));
    expect(rest.stdout).toMatch(/\ndone: /);
    // Killed, resumed and taken-over cells give the numbers of the uninterrupted single run.
    expect(numbers(out)).toEqual(numbers(single));
    expect(tables(rest.stdout)).toBe(tables(singleRun.stdout));
  });
});
