// Crash safety of runs: SIGKILL at random moments and during checkpoint
// writes (scripts/kill-loop.js, 3 kills here), a disk that fills up and a
// checkpoint directory that turns read-only — each leaves the previous
// checkpoint complete and `latest`, and the run continues from it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runtimeInfo, setThreads, train } from '../lib';
import { patternDataset } from './helpers/data';
import { tempDir } from './helpers/files';

// `threads: 1` below sets the process-wide count; the test files after this one in the same process expect the
// default (the parity files compare with a PyTorch reference running on all cores).
const defaultThreads = runtimeInfo().threads;
afterAll(() => setThreads(defaultThreads));

const dir = tempDir('crash');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const modelOptions = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4 } as const;
const data = { train: patternDataset(32, 1, 8, 4, 21) };
const base = { data, batchSize: 8, optimizer: { type: 'sgd', lr: 0.02 } as const, seed: 4, logEvery: 1, checkpointEvery: 2, threads: 1 };

const checkpointsOf = (outDir: string): string[] => fs.readdirSync(path.join(outDir, 'checkpoints')).sort();
const latestOf = (outDir: string): string => fs.readFileSync(path.join(outDir, 'checkpoints', 'latest'), 'utf8').trim();
const bytes = (file: string): Buffer => fs.readFileSync(file);

/** Mounts a file system (`args` after `mount`) on a new directory; undefined (and why) where this machine does not allow it. */
function tryMount(name: string, args: string[]): { at?: string; why?: string } {
  const at = path.join(dir, name);
  fs.mkdirSync(at, { recursive: true });
  if (process.platform !== 'linux') return { why: 'not Linux' };
  const r = spawnSync('mount', [...args, at], { encoding: 'utf8' });
  if (r.status !== 0) return { why: `mount ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}` };
  mounts.push(at);
  return { at };
}

describe('SIGKILL at random moments', () => {
  test('3 kills (one during a checkpoint write), each resumed with --resume alone: always from the latest checkpoint, weights bit-identical', () => {
    const script = path.join(__dirname, '..', 'scripts', 'kill-loop.js');
    const r = spawnSync(process.execPath, [script, '--kills', '3', '--iterations', '14', '--seed', '7', '--json', '--dir', path.join(dir, 'kill-loop')], {
      encoding: 'utf8', timeout: 300_000,
    });
    expect(r.stderr).toBe('');
    const summary = JSON.parse(r.stdout);
    expect(summary.failures).toEqual([]);
    expect(summary.kills).toBe(3);
    expect(summary.resumes).toBe(3); // one after each kill (the last one runs to the end)
    expect(summary.killedDuringCheckpointWrite).toBeGreaterThanOrEqual(1);
    expect(summary.resumedFromLatestEveryTime).toBe(true);
    expect(summary.latestCompleteAfterEveryKill).toBe(true);
    expect(summary.bitIdentical).toBe(true);
    expect(r.status).toBe(0);
  });
});

describe('a checkpoint that cannot be written', () => {
  let reference: string;
  beforeAll(async () => {
    reference = path.join(dir, 'reference');
    await train({ ...base, model: { ...modelOptions, seed: 1 }, iterations: 4, outDir: reference, keepCheckpoints: 5 });
  });

  /** The run continues from the checkpoint that stayed latest and ends where an uninterrupted run ends. */
  async function resumesToReference(outDir: string): Promise<void> {
    const resumed = await train({ data, resume: outDir, iterations: 4 });
    expect(resumed.startIteration).toBe(2);
    expect(bytes(resumed.paths.weights!).equals(bytes(path.join(reference, 'model.safetensors')))).toBe(true);
  }

  const diskFull = (() => {
    // A file system of 1.5 checkpoints: the first fits, the second fills it.
    const checkpointBytes = 2 * 45 * 1024 * 1024;
    return tryMount('full', ['-t', 'tmpfs', '-o', `size=${Math.round(1.5 * checkpointBytes / 1024)}k`, 'senet-lab-test']);
  })();
  if (!diskFull.at) console.warn(`skipping the disk-full test: ${diskFull.why}`);

  (diskFull.at ? test : test.skip)('a full disk: a clear error, nothing half-written left, the previous checkpoint intact and latest', async () => {
    const outDir = path.join(diskFull.at!, 'run');
    await expect(train({ ...base, model: { ...modelOptions, seed: 1 }, iterations: 4, outDir })).rejects.toThrow(
      /^cannot write checkpoint iter-00000004 in '.*': .*No space left on device.*; the previous checkpoint iter-00000002 is intact and still latest$/,
    );
    expect(latestOf(outDir)).toBe('iter-00000002');
    expect(checkpointsOf(outDir)).toEqual(['iter-00000002', 'latest']); // the partial checkpoint is gone, its space free
    for (const file of ['model.safetensors', 'optimizer.safetensors']) {
      expect(bytes(path.join(outDir, 'checkpoints', 'iter-00000002', file)).equals(bytes(path.join(reference, 'checkpoints', 'iter-00000002', file)))).toBe(true);
    }
    expect(spawnSync('mount', ['-o', 'remount,size=400m', diskFull.at!]).status).toBe(0);
    await resumesToReference(outDir);
  });

  const readOnly = (() => {
    const run = path.join(dir, 'read-only-run');
    fs.mkdirSync(path.join(run, 'checkpoints'), { recursive: true });
    const mounted = tryMount(path.join('read-only-run', 'checkpoints'), ['--bind', path.join(run, 'checkpoints')]);
    return mounted.at ? { run, at: mounted.at } : { why: mounted.why };
  })();
  if (!readOnly.at) console.warn(`skipping the read-only test: ${readOnly.why}`);

  (readOnly.at ? test : test.skip)('a checkpoint directory turned read-only: a clear error, the previous checkpoint intact and latest', async () => {
    const outDir = readOnly.run!;
    await train({ ...base, model: { ...modelOptions, seed: 1 }, iterations: 2, outDir });
    expect(latestOf(outDir)).toBe('iter-00000002');
    const before = bytes(path.join(outDir, 'checkpoints', 'iter-00000002', 'model.safetensors'));
    // Read-only for root too: a read-only bind mount of the checkpoints directory (chmod does not stop root).
    expect(spawnSync('mount', ['-o', 'remount,bind,ro', readOnly.at!]).status).toBe(0);
    await expect(train({ data, resume: outDir, iterations: 4 })).rejects.toThrow(
      /^cannot write checkpoint iter-00000004 in '.*': .*Read-only file system.*; the previous checkpoint iter-00000002 is intact and still latest$/,
    );
    expect(latestOf(outDir)).toBe('iter-00000002');
    expect(bytes(path.join(outDir, 'checkpoints', 'iter-00000002', 'model.safetensors')).equals(before)).toBe(true);
    expect(spawnSync('mount', ['-o', 'remount,bind,rw', readOnly.at!]).status).toBe(0);
    await resumesToReference(outDir);
  });
});
