// Claims on ablation cells (lib/ablation/claims.ts) and the recorded grid
// (lib/ablation/grid.ts): pure TypeScript on temp directories. The races run in
// real concurrent processes (claims.ts transpiled to plain JS for them).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { Claim, ClaimOwner, heartbeatInterval, inspectClaim, localScope, newOwner, pidAlive, tryClaim } from '../../lib/ablation/claims';
import { ablationGrid, gridDifference, joinGrid, readGrid } from '../../lib/ablation/grid';
import { OptionError } from '../../lib/options';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-claims-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(root, `cell-${++counter}`);
const options = { timeoutMs: 60_000 };

/** Writes a claim file as another worker would have. */
function plant(dir: string, generation: number, owner: Partial<ClaimOwner>, ageMs = 0): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${generation}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...newOwner(), ...owner }));
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(file, t, t);
  return file;
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(pidAlive(r.pid!)).toBe(false);
  return r.pid!;
}

function claimed(r: ReturnType<typeof tryClaim>): Claim {
  if (!('claim' in r)) throw new Error(`expected a claim, the cell is held by ${JSON.stringify(r.busy.owner)}`);
  return r.claim;
}

describe('claims', () => {
  test('a free cell is claimed once; a live claim is respected; release frees it without counting as a takeover', () => {
    const dir = freshDir();
    expect(inspectClaim(dir, options)).toEqual({ kind: 'free' });
    const first = claimed(tryClaim(dir, options));
    expect(first.generation).toBe(0);
    expect(first.tookOver).toBeNull();
    expect(JSON.parse(fs.readFileSync(first.file, 'utf8'))).toMatchObject({ host: os.hostname(), pid: process.pid, token: first.owner.token });
    const second = tryClaim(dir, options);
    expect('busy' in second && second.busy.owner?.token).toBe(first.owner.token);
    expect(first.held()).toBe(true);
    first.release();
    expect(first.held()).toBe(false);
    expect(inspectClaim(dir, options)).toMatchObject({ kind: 'stale', reason: 'released' });
    const next = claimed(tryClaim(dir, options));
    expect(next.generation).toBe(1); // generations only go up
    expect(next.tookOver).toBeNull();
    expect(fs.readdirSync(dir)).toEqual(['1.json']); // the dead generation is cleaned up
  });

  test('an old heartbeat is stale: taken over by the next generation; the old owner learns it lost the claim', () => {
    const dir = freshDir();
    const old = claimed(tryClaim(dir, { timeoutMs: 1000 }));
    const past = new Date(Date.now() - 5000);
    fs.utimesSync(old.file, past, past);
    const state = inspectClaim(dir, { timeoutMs: 1000 });
    expect(state).toMatchObject({ kind: 'stale', generation: 0 });
    expect(state.kind === 'stale' && state.reason).toMatch(/no heartbeat for 5 s \(timeout 1 s\)/);
    const taker = claimed(tryClaim(dir, { timeoutMs: 1000 }));
    expect(taker.generation).toBe(1);
    expect(taker.tookOver?.owner?.token).toBe(old.owner.token);
    expect(old.held()).toBe(false);
    expect(old.heartbeat()).toBe(false); // does not touch anything
    expect(taker.heartbeat()).toBe(true);
    old.release(); // not ours any more: must not disturb the new owner
    expect(inspectClaim(dir, { timeoutMs: 1000 })).toMatchObject({ kind: 'live', generation: 1 });
  });

  test('heartbeats keep a claim live past the timeout; a lost claim stops the heartbeat and says so once', async () => {
    const dir = freshDir();
    const short = { timeoutMs: 400 };
    const claim = claimed(tryClaim(dir, short));
    claim.startHeartbeat(heartbeatInterval(short.timeoutMs), () => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    expect(inspectClaim(dir, short)).toMatchObject({ kind: 'live' });
    claim.stopHeartbeat();
    await new Promise((r) => setTimeout(r, 600));
    expect(inspectClaim(dir, short)).toMatchObject({ kind: 'stale' });
    // Taken over while its owner was paused: the owner's next beat reports the loss.
    const lost = jest.fn();
    claim.startHeartbeat(50, lost);
    claimed(tryClaim(dir, short));
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).toHaveBeenCalledTimes(1);
  });

  test('same host: a dead pid is stale at once, a live pid is respected; other hosts and pid namespaces are judged by heartbeat only', () => {
    const dead = deadPid();
    const a = freshDir();
    plant(a, 0, { pid: dead });
    const state = inspectClaim(a, options);
    expect(state.kind === 'stale' && state.reason).toBe(`its process ${dead} on ${os.hostname()} is gone`);
    expect(claimed(tryClaim(a, options)).tookOver?.owner?.pid).toBe(dead);

    const b = freshDir();
    plant(b, 0, { pid: process.pid }); // alive (this process), fresh
    expect(inspectClaim(b, options)).toMatchObject({ kind: 'live' });
    expect(tryClaim(b, options)).toHaveProperty('busy');

    const c = freshDir();
    plant(c, 0, { host: 'elsewhere', pid: dead }); // that pid means nothing here
    expect(tryClaim(c, options)).toHaveProperty('busy');
    const d = freshDir();
    plant(d, 0, { pid: dead, scope: `${localScope()} other-container` }); // same hostname, another pid namespace
    expect(tryClaim(d, options)).toHaveProperty('busy');
    const e = freshDir();
    plant(e, 0, { host: 'elsewhere', pid: dead }, 120_000);
    expect(claimed(tryClaim(e, options)).tookOver?.reason).toMatch(/no heartbeat for 120 s/);
  });

  test('a claim is judged by the timeout its owner recorded, whatever the observer\'s own', () => {
    const patient = freshDir();
    plant(patient, 0, { host: 'elsewhere', timeoutMs: 1_000_000 }, 120_000);
    expect(tryClaim(patient, { timeoutMs: 60_000 })).toHaveProperty('busy');
    const hasty = freshDir();
    plant(hasty, 0, { host: 'elsewhere', timeoutMs: 1000 }, 5000);
    expect(claimed(tryClaim(hasty, { timeoutMs: 60_000 })).tookOver?.reason).toBe('no heartbeat for 5 s (timeout 1 s)');
    expect(JSON.parse(fs.readFileSync(path.join(hasty, '1.json'), 'utf8')).timeoutMs).toBe(60_000);
  });

  test('a claim file still being written (empty) counts as live until its mtime is old', () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '0.json'), '');
    expect(inspectClaim(dir, options)).toMatchObject({ kind: 'live', owner: null });
    const t = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(dir, '0.json'), t, t);
    expect(claimed(tryClaim(dir, options)).generation).toBe(1);
  });

  test('a worker that read an old generation and creates its number late does not win over a later one', () => {
    const dir = freshDir();
    plant(dir, 3, { host: 'elsewhere' }, 120_000); // stale: we will try to create 4.json
    // Between our read and our create, another worker takes over (4), is taken over itself (5), and the dead 4 is
    // cleaned up: our create of 4.json succeeds, but 5 is the claim.
    const nodeFs = require('fs') as typeof fs; // the module itself (the `import * as` namespace has read-only getters onto it)
    const realOpen = nodeFs.openSync;
    const spy = jest.spyOn(nodeFs, 'openSync').mockImplementation(((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      if (String(file).endsWith(`${path.sep}4.json`) && flags === 'wx' && !fs.existsSync(path.join(dir, '5.json'))) {
        plant(dir, 5, { host: 'elsewhere' });
        fs.rmSync(path.join(dir, '3.json'));
      }
      return realOpen(file, flags ?? 'r', mode);
    }) as typeof fs.openSync);
    try {
      const r = tryClaim(dir, options);
      expect(spy).toHaveBeenCalled();
      expect('busy' in r && r.busy).toMatchObject({ generation: 5, owner: { host: 'elsewhere' } });
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(dir)).toEqual(['5.json']); // our late 4.json was withdrawn
  });
});

// ---- Races between real processes.

let claimsJs: string;
beforeAll(() => {
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'ablation', 'claims.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  claimsJs = path.join(root, 'claims.js');
  fs.writeFileSync(claimsJs, js);
});

/**
 * `n` processes start together (they wait for the same instant) and each runs the ablation's claim loop over
 * `cells` cell directories: claim the first claimable unfinished cell, re-check it is unfinished, "train" it
 * (append to its log, sleep), mark it finished, release; until nothing is claimable. Returns the log lines.
 */
async function race(n: number, cells: number, base: string, trainMs: number, timeoutMs = 60_000): Promise<string[]> {
  const worker = `
    const fs = require('fs'), path = require('path');
    const { tryClaim } = require(${JSON.stringify(claimsJs)});
    const [base, cells, trainMs, startAt, timeoutMs] = process.argv.slice(1);
    while (Date.now() < Number(startAt)) {}
    const sleep = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };
    const finished = (i) => fs.existsSync(path.join(base, 'cell-' + i, 'done'));
    for (;;) {
      let took = false;
      for (let i = 0; i < Number(cells); i++) {
        if (finished(i)) continue;
        const r = tryClaim(path.join(base, 'claims', String(i)), { timeoutMs: Number(timeoutMs) });
        if (!r.claim) continue;
        if (finished(i)) { r.claim.release(); continue; }
        fs.mkdirSync(path.join(base, 'cell-' + i), { recursive: true });
        fs.appendFileSync(path.join(base, 'log'), i + ' ' + process.pid + '\\n');
        sleep(Number(trainMs));
        fs.writeFileSync(path.join(base, 'cell-' + i, 'done'), '');
        r.claim.release();
        took = true;
        break;
      }
      if (!took) break;
    }`;
  const startAt = Date.now() + 1500;
  const exits = Array.from({ length: n }, () => new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['-e', worker, base, String(cells), String(trainMs), String(startAt), String(timeoutMs)], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => resolve(code ?? -1));
  }));
  expect(await Promise.all(exits)).toEqual(Array(n).fill(0));
  return fs.readFileSync(path.join(base, 'log'), 'utf8').trim().split('\n');
}

describe('claims under concurrent processes', () => {
  test('6 workers on 24 cells: every cell is trained exactly once, and the work is shared', async () => {
    const base = freshDir();
    const log = await race(6, 24, base, 20);
    const cells = log.map((l) => Number(l.split(' ')[0]));
    expect(cells.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(new Set(log.map((l) => l.split(' ')[1])).size).toBeGreaterThan(1);
  });

  test('6 workers find the same stale claims: each cell is taken over exactly once', async () => {
    for (let round = 0; round < 2; round++) {
      const base = freshDir();
      const dead = deadPid();
      for (let i = 0; i < 24; i++) plant(path.join(base, 'claims', String(i)), i % 3, i % 2 ? { pid: dead } : { host: 'elsewhere' }, i % 2 ? 0 : 120_000);
      const log = await race(6, 24, base, 5);
      expect(log.map((l) => Number(l.split(' ')[0])).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    }
  });
});

describe('the recorded grid (ablation.json)', () => {
  const base = { archs: ['resnet18' as const], seeds: [1, 2], model: { inChannels: 1, numClasses: 10 }, dataSpec: { data: 'fashion-mnist', augment: true } };

  test('aliases and spelled-out defaults define the same grid; per-machine settings are not part of it', () => {
    const a = ablationGrid({ ...base, attentions: ['original', 'senet'], train: { iterations: 4, batchSize: 8 } });
    const b = ablationGrid({
      ...base, attentions: ['none', 'se', 'se'], model: { ...base.model, device: 'cuda', reduction: 16 },
      train: { iterations: 4, batchSize: 8, shuffle: true, threads: 1, workers: 3, checkpointEvery: 2, optimizer: { type: 'sgd', lr: 0.01 } },
    });
    expect(a.attentions).toEqual(['none', 'se']);
    expect(gridDifference(a, b)).toBeNull();
    expect(a.train).not.toHaveProperty('threads');
    expect(a.model).not.toHaveProperty('device');
  });

  test('the first run records the grid; a different one is refused naming the field', () => {
    const dir = freshDir();
    const grid = ablationGrid({ ...base, attentions: ['none', 'se'], train: { iterations: 4 } });
    joinGrid(dir, grid);
    expect(readGrid(dir)).toMatchObject({ archs: ['resnet18'], seeds: [1, 2], createdBy: { pid: process.pid } });
    expect(() => joinGrid(dir, grid)).not.toThrow();
    const refused = (g: typeof grid): OptionError => {
      try {
        joinGrid(dir, g);
      } catch (error) {
        return error as OptionError;
      }
      throw new Error('joined a different grid');
    };
    const seeds = refused(ablationGrid({ ...base, seeds: [1, 3], attentions: ['none', 'se'], train: { iterations: 4 } }));
    expect(seeds).toBeInstanceOf(OptionError);
    expect(seeds.field).toBe('seeds');
    expect(seeds.message).toMatch(/^seeds: .*ablation\.json holds an ablation with \[1,2\], this run asks for \[1,3\]; /);
    expect(refused(ablationGrid({ ...base, attentions: ['none', 'se'], train: { iterations: 4, optimizer: { type: 'sgd', lr: 0.2 } } })).field).toBe('train.optimizer.lr');
    expect(refused(ablationGrid({ ...base, attentions: ['none', 'se'], train: { iterations: 4 }, dataSpec: { data: 'cifar10:/x', augment: true } })).field).toBe('data.data');
    expect(refused(ablationGrid({ ...base, attentions: ['none', 'se'], train: { iterations: 4 }, model: { ...base.model, stem: 'cifar' } })).message)
      .toMatch(/^model\.stem: .* holds an ablation with 'imagenet', this run asks for 'cifar'/);
  });

  test('the first grid recorded wins, atomically (no temporary files left behind)', async () => {
    const dir = freshDir();
    const grids = [1, 2, 3, 4].map((s) => ablationGrid({ ...base, seeds: [s], attentions: ['none'], train: {} }));
    const outcomes = await Promise.all(grids.map(async (g) => {
      await new Promise((r) => setImmediate(r));
      try {
        joinGrid(dir, g);
        return 'joined';
      } catch {
        return 'refused';
      }
    }));
    expect(outcomes.filter((o) => o === 'joined')).toHaveLength(1);
    expect(fs.readdirSync(dir)).toEqual(['ablation.json']);
  });
});
