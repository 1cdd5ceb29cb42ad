// native/dist under real processes, without Node: test/native/dist (built as
// build/senet_dist_test by scripts/setup.sh) forks ranks on loopback and
// checks the collectives, gradient buckets against the mean of local
// gradients, synchronized BatchNorm against plain BatchNorm on the
// concatenated batch (outputs, running statistics, gradients), and failures:
// a missing peer, a killed peer, a hung peer, mismatched world sizes.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const BINARY = path.join(__dirname, '..', 'build', 'senet_dist_test');

(fs.existsSync(BINARY) ? test : test.skip)('senet_dist_test: every native distributed check passes', () => {
  const r = spawnSync(BINARY, [], { encoding: 'utf8', timeout: 600_000 });
  const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
  expect({ status: r.status, summary: summary?.[0], tail: r.stdout.split('\n').slice(-15).join('\n') })
    .toMatchObject({ status: 0, summary: expect.stringMatching(/ 0 failed$/) });
  expect(Number(summary![1])).toBeGreaterThanOrEqual(15);
});
