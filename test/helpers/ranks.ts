// Starting the processes of a data-parallel test run and collecting what they did.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

export interface RankOutcome {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Seconds from the start of the group to this process's exit. */
  seconds: number;
  events: Record<string, unknown>[];
}

const WORKER = path.join(__dirname, 'ddp-worker.js');

/** Starts one ddp-worker per spec (spec i is rank i); `command` wraps the node call (e.g. ip netns exec). */
export function startRanks(specs: object[], wrap: (rank: number) => string[] = () => []): { children: ChildProcess[]; done: Promise<RankOutcome[]> } {
  const started = Date.now();
  const children: ChildProcess[] = [];
  const outcomes = specs.map((spec, rank) => {
    const [command, ...args] = [...wrap(rank), process.execPath, WORKER, JSON.stringify(spec)];
    const child = spawn(command, args, { env: process.env });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<RankOutcome>((resolve) => {
      child.on('exit', (code, signal) => {
        const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ rank, code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000, events });
      });
    });
  });
  return { children, done: Promise.all(outcomes) };
}

export async function runRanks(specs: object[], wrap?: (rank: number) => string[]): Promise<RankOutcome[]> {
  return startRanks(specs, wrap).done;
}
