// A host embedding senet-lab keeps its own libuv thread pool: no pool thread waits on tensor work, because the
// compute thread completes every job itself (binding/completions.h). With a train() running and 8 predicts in
// flight, the host's fs and crypto calls answer at once, and every predict within one step plus 3× the idle
// latency of 8 predicts issued together — also with a pool of a single thread.
import { spawnSync } from 'child_process';
import * as path from 'path';

interface Round { readFileMs: number; pbkdf2Ms: number; pendingWhenHostAnswered: number; predictMs: number[]; trainingRan: boolean }
interface Outcome { threadPool: string; idleBurstMs: number; idleHostMs: number; longestStepMs: number; rounds: Round[] }

function runHost(threadPoolSize: string | undefined): Outcome {
  const env = { ...process.env };
  if (threadPoolSize === undefined) delete env.UV_THREADPOOL_SIZE;
  else env.UV_THREADPOOL_SIZE = threadPoolSize;
  const child = spawnSync(process.execPath, [path.join(__dirname, 'helpers', 'host-pool.js')], { encoding: 'utf8', timeout: 180_000, env });
  expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(child.stdout.trim().split('\n').pop() as string) as Outcome;
}

describe.each([[undefined], ['1']])('UV_THREADPOOL_SIZE=%s', (threadPoolSize) => {
  test('fs and crypto answer within 100 ms and every predict within one step + 3× idle while a run trains and serves', () => {
    const outcome = runHost(threadPoolSize);
    expect(outcome.rounds).toHaveLength(3);
    for (const round of outcome.rounds) {
      expect(round.trainingRan).toBe(true);
      // The host's calls came back while predicts were still waiting for a step boundary: they overlapped.
      expect(round.pendingWhenHostAnswered).toBeGreaterThan(0);
      expect(round.readFileMs).toBeLessThan(100);
      expect(round.pbkdf2Ms).toBeLessThan(100);
      for (const latency of round.predictMs) expect(latency).toBeLessThanOrEqual(outcome.longestStepMs + 3 * outcome.idleBurstMs);
    }
  }, 200_000);
});
