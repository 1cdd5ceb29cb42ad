// `senet-lab train --nproc N`: starts N worker processes of the same command
// on this machine, as `torchrun --nproc-per-node N` does — with torchrun's
// environment variables (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE), the machine's cores split between them — and
// watches them: when one fails, the others end on their own within the
// distributed timeout (they lose their peer); any still running after that
// are stopped, and the launcher names which rank failed and how.
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as os from 'os';
import * as readline from 'readline';

export interface LaunchOptions {
  /** Worker processes on this machine. */
  nproc: number;
  /** Machines taking part (each runs this launcher). */
  nnodes: number;
  /** This machine's index, 0 … nnodes − 1; machine 0 hosts rank 0. */
  nodeRank: number;
  masterAddr: string;
  /** Unset on a single machine: a free port is picked (torchrun --standalone). */
  masterPort?: number;
  /** Intra-op threads per worker; unset: this machine's cores / nproc. */
  threads?: number;
  /** The distributed timeout in seconds (how long workers take to notice a lost peer). */
  timeout: number;
}

/** A free TCP port on this machine. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The flags that only concern the launcher, removed from what the workers get. */
const LAUNCHER_FLAGS = new Set(['--nproc', '--nnodes', '--node-rank']);

export function workerArguments(argv: string[], threads: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag] = argv[i].split('=');
    if (LAUNCHER_FLAGS.has(flag)) {
      if (!argv[i].includes('=')) i++;
      continue;
    }
    out.push(argv[i]);
  }
  return argv.some((a) => a === '--threads' || a.startsWith('--threads=')) ? out : [...out, '--threads', String(threads)];
}

interface Exit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function describeExit(e: Exit): string {
  if (e.signal) return `rank ${e.rank} was killed by ${e.signal}`;
  return e.code === 0 ? `rank ${e.rank} finished` : `rank ${e.rank} exited with code ${e.code}`;
}

/** Prefixes each line a non-zero rank writes, so interleaved output stays readable. */
function relay(child: ChildProcess, rank: number): void {
  for (const [stream, target] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => target.write(`[rank ${rank}] ${line}\n`));
  }
}

/**
 * Runs `script argv` as this machine's workers and resolves with the exit
 * code the launcher should end with: 0 when every worker succeeded.
 */
export async function launchWorkers(script: string, argv: string[], options: LaunchOptions): Promise<number> {
  const { nproc, nnodes, nodeRank } = options;
  const masterPort = options.masterPort ?? (await freePort());
  const threads = options.threads ?? Math.max(1, Math.floor(os.cpus().length / nproc));
  const args = [script, ...workerArguments(argv, threads)];
  const children: ChildProcess[] = [];
  const exits: Exit[] = [];
  let failedAt: number | undefined;
  const done = new Promise<void>((resolve) => {
    for (let local = 0; local < nproc; local++) {
      const rank = nodeRank * nproc + local;
      const env: NodeJS.ProcessEnv = {
        ...process.env, SENET_EXIT_WITH_PARENT: undefined, MASTER_ADDR: options.masterAddr, MASTER_PORT: String(masterPort), RANK: String(rank),
        WORLD_SIZE: String(nnodes * nproc), LOCAL_RANK: String(local), LOCAL_WORLD_SIZE: String(nproc),
      };
      // Rank 0 owns the terminal (progress bar, tables); the others' lines are prefixed.
      const child = spawn(process.execPath, args, { env, stdio: rank === 0 ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
      if (rank !== 0) relay(child, rank);
      child.on('exit', (code, signal) => {
        exits.push({ rank, code, signal });
        if ((code !== 0 || signal) && failedAt === undefined) failedAt = Date.now();
        if (exits.length === nproc) resolve();
      });
      children.push(child);
    }
  });
  // Started by `ablate --nproc`: when that process dies (this one is reparented), its claim will be taken
  // over, so the workers must not go on training the cell.
  const parent = process.ppid;
  const orphanWatch = process.env.SENET_EXIT_WITH_PARENT === '1'
    ? setInterval(() => process.ppid !== parent && children.forEach((c) => c.kill('SIGTERM')), 1000)
    : undefined;
  // After a failure the others notice their lost peer within the timeout; stop whoever is still running after that.
  const watchdog = setInterval(() => {
    if (failedAt === undefined || Date.now() - failedAt < (options.timeout + 10) * 1000) return;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 1000);
  const forward = (signal: NodeJS.Signals) => () => children.forEach((c) => c.kill(signal));
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await done;
  } finally {
    clearInterval(watchdog);
    clearInterval(orphanWatch);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const failures = exits.filter((e) => e.code !== 0 || e.signal).sort((a, b) => a.rank - b.rank);
  if (failures.length === 0) return 0;
  const first = [...exits].find((e) => e.code !== 0 || e.signal)!;
  console.error(`senet-lab: ${describeExit(first)} first; ${failures.filter((e) => e !== first).map(describeExit).join('; ') || 'the other ranks finished'}`);
  return 1;
}
