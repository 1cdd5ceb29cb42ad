// ablate()'s claim loop through its CellTrainer seam, with a fake trainer
// (no addon): concurrent calls share a grid, a lost claim stops its cell, an
// abort leaves the cell resumable, and the summary covers what is finished.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AblationCell, AblationOptions, CellJob, CellRun, CellStatus, ablate, ablationReport, claimDir } from '../../lib/ablation/ablate';
import { inspectClaim, tryClaim } from '../../lib/ablation/claims';
import { RunSummary } from '../../lib/record/recorded-train';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-ablate-loop-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(root, `grid-${++counter}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A deterministic stand-in for training: top-1 from the cell, results.json written last, as recordedTrain does. */
function fakeTrainer(log: string[], work: (job: CellJob) => Promise<boolean> = async () => (await sleep(30), false)): (job: CellJob) => Promise<CellRun> {
  return async (job) => {
    log.push(`${job.cell.attention} ${job.cell.seed}${job.resume ? ' resumed' : ''}`);
    fs.mkdirSync(path.join(job.cell.dir, 'checkpoints'), { recursive: true });
    fs.writeFileSync(path.join(job.cell.dir, 'checkpoints', 'latest'), 'iter-00000001');
    const stopped = await work(job);
    const top1 = (job.cell.attention === 'se' ? 80 : 78) + job.cell.seed / 10;
    const summary: RunSummary = {
      name: `${job.cell.arch} ${job.cell.attention} seed ${job.cell.seed}`, arch: job.cell.arch, attention: job.cell.attention, seed: job.cell.seed,
      iterations: 4, top1, top5: 99, loss: 0.5, bestTop1: top1, wallSeconds: 1, imagesPerSecond: 1, stopped,
    };
    fs.writeFileSync(path.join(job.cell.dir, 'results.json'), JSON.stringify({ summary }));
    return { summary, stopped };
  };
}

/** Never read: the fake trainer does not train. */
const data = { train: { images: new Uint8Array(4), labels: [0], shape: [1, 1, 2, 2] as [number, number, number, number] } };

function grid(outDir: string, extra: Partial<AblationOptions> = {}): AblationOptions {
  return { archs: ['resnet18'], attentions: ['none', 'se'], seeds: [1, 2, 3], outDir, train: { iterations: 4, data }, dataSpec: { data: 'fake' }, ...extra };
}

test('concurrent ablate() calls on one directory train each cell once and agree on the summary', async () => {
  const out = freshDir();
  const logs: string[][] = [[], [], []];
  const results = await Promise.all(logs.map((log) => ablate(grid(out, { trainCell: fakeTrainer(log) }))));
  expect(logs.flat().sort()).toEqual(['none 1', 'none 2', 'none 3', 'se 1', 'se 2', 'se 3']);
  expect(logs.filter((l) => l.length > 0).length).toBeGreaterThan(1);
  const last = await ablationReport(out);
  expect(last.cells.map((c) => c.name)).toEqual(['none 1', 'none 2', 'none 3', 'se 1', 'se 2', 'se 3'].map((n) => `resnet18 ${n.replace(' ', ' seed ')}`));
  expect(last.pending).toEqual([]);
  expect(last.comparisons[0]).toMatchObject({ attention: 'se', baseline: 'none', n: 3, meanDifference: expect.closeTo(2, 10), verdict: 'better' });
  // Every call ends with a summary of what was finished when it looked; at least one saw everything.
  expect(results.some((r) => r.cells.length === 6 && r.pending.length === 0)).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'))).toMatchObject({ finished: 6, total: 6, pending: [] });
});

test('a run whose claim is taken over while it trains stops that cell, says so, and leaves it to the new owner', async () => {
  const out = freshDir();
  const statuses: string[] = [];
  const result = await ablate(grid(out, {
    seeds: [1],
    attentions: ['none'],
    claimTimeout: 0.5, // heartbeat every 50 ms
    onCell: (cell: AblationCell, status: CellStatus) => statuses.push(status),
    trainCell: fakeTrainer([], async (job) => {
      // Another worker finds our claim stale (as if we had paused) and takes the cell over.
      const file = path.join(claimDir(out, job.cell), '0.json');
      const old = new Date(Date.now() - 10_000);
      fs.utimesSync(file, old, old);
      const taker = tryClaim(claimDir(out, job.cell), { timeoutMs: 60_000 });
      expect(taker).toHaveProperty('claim');
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
      return true; // stopped at the next step boundary
    }),
  }));
  expect(statuses).toEqual(['starting', 'lost', 'busy']);
  expect(result.pending).toMatchObject([{ owner: { pid: process.pid } }]);
  expect(inspectClaim(claimDir(out, result.pending[0].cell), { timeoutMs: 60_000 })).toMatchObject({ kind: 'live', generation: 1 });
});

test('an abort stops the run with the cell resumable and its claim released; the next run resumes it', async () => {
  const out = freshDir();
  const controller = new AbortController();
  const log: string[] = [];
  const first = await ablate(grid(out, {
    seeds: [1, 2],
    signal: controller.signal,
    trainCell: fakeTrainer(log, async (job) => {
      if (job.cell.seed === 1) return false;
      controller.abort();
      await sleep(10);
      return job.signal.aborted;
    }),
  }));
  expect(first.stopped).toBe(true);
  expect(log).toEqual(['none 1', 'none 2']);
  expect(first.cells).toHaveLength(1);
  const cell = first.pending[0].cell;
  expect(fs.existsSync(path.join(cell.dir, 'results.json'))).toBe(false);
  expect(inspectClaim(claimDir(out, cell), { timeoutMs: 60_000 })).toMatchObject({ kind: 'stale', reason: 'released' });
  const statuses: string[] = [];
  const second = await ablate(grid(out, { seeds: [1, 2], trainCell: fakeTrainer(log), onCell: (c, s, info) => statuses.push(`${c.attention} ${c.seed} ${s}${info?.tookOver ? ' took over' : ''}`) }));
  expect(second.stopped).toBe(false);
  expect(statuses).toEqual(['none 1 done', 'none 2 resuming', 'none 2 finished', 'se 1 starting', 'se 1 finished', 'se 2 starting', 'se 2 finished']);
  expect(log.slice(2)).toEqual(['none 2 resumed', 'se 1', 'se 2']);
});

test('a grid differing from the recorded one is refused before anything is claimed', async () => {
  const out = freshDir();
  await ablate(grid(out, { seeds: [1], attentions: ['none'], trainCell: fakeTrainer([]) }));
  await expect(ablate(grid(out, { seeds: [1], attentions: ['none'], train: { iterations: 5, data }, trainCell: fakeTrainer([]) })))
    .rejects.toThrow(/^train\.iterations: .*ablation\.json holds an ablation with 4, this run asks for 5; /);
});
