// native/train without Node: test/native/core (built as build/senet_core_test
// with SENET_BUILD_NATIVE_TESTS, as scripts/setup.sh configures build/) checks
// the step strategies against a plain libtorch step (per-step sync, deferred,
// masked; NaN batches, loss scaling, hook order), the LR schedules against
// hand-computed values and PyTorch's recursive update rules, MaskedStep, and
// the checkpoint state.json reader on a real checkpoint and on damaged ones.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const BINARY = path.join(__dirname, '..', 'build', 'senet_core_test');

test('senet_core_test: every native step, schedule and checkpoint-state check passes', () => {
  if (!fs.existsSync(BINARY)) {
    throw new Error(`${BINARY} is missing: configure build/ with -DSENET_BUILD_NATIVE_TESTS=ON (bash scripts/setup.sh does) and build it`);
  }
  const r = spawnSync(BINARY, [], { encoding: 'utf8', timeout: 600_000 });
  const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
  const failures = r.stdout.split('\n').filter((line, i, lines) => line.startsWith('[ FAIL ]') || lines[i + 1]?.startsWith('[ FAIL ]'));
  expect({ status: r.status, signal: r.signal, summary: summary?.[0], failures, stderr: r.stderr.slice(-2000) })
    .toMatchObject({ status: 0, signal: null, summary: expect.stringMatching(/ 0 failed$/), failures: [] });
  // Every registered check ran: a check list that lost its cases fails here.
  const listed = spawnSync(BINARY, ['--list'], { encoding: 'utf8' }).stdout.trim().split('\n');
  expect(Number(summary![1])).toBe(listed.length);
  expect(listed.length).toBeGreaterThanOrEqual(30);
});
