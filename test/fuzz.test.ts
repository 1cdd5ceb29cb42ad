// Smoke run of the parser fuzzers (fuzz/, scripts/fuzz.sh): every libFuzzer
// target builds with clang's AddressSanitizer and UBSan, replays its seed
// corpus (which holds every input that once crashed a target) and mutates it
// for a few seconds without a finding. `npm run fuzz` runs the real budget.
// Without clang and its libFuzzer runtime (Debian: clang-14 libclang-rt-14-dev,
// installed by scripts/setup.sh) the smoke is skipped with the reason.
import { spawnSync } from 'child_process';
import * as path from 'path';

const FUZZ = path.join(__dirname, '..', 'scripts', 'fuzz.sh');
const TARGETS = ['safetensors_header', 'idx', 'cifar', 'checkpoint_state', 'image_decode'];
const SMOKE_SECONDS = 3;

const check = spawnSync('bash', [FUZZ, '--check'], { encoding: 'utf8' });
const HAVE_LIBFUZZER = check.status === 0;
if (!HAVE_LIBFUZZER) {
  // eslint-disable-next-line no-console
  console.warn(`fuzz smoke skipped: ${(check.stderr || check.stdout).trim()}`);
}

(HAVE_LIBFUZZER ? test : test.skip)(`every fuzz target replays its corpus and runs ${SMOKE_SECONDS} s without a finding`, () => {
  const r = spawnSync('bash', [FUZZ, '--seconds', String(SMOKE_SECONDS)], { encoding: 'utf8', timeout: 600_000 });
  const output = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`scripts/fuzz.sh exited with ${r.status}:\n${output}`);
  for (const target of TARGETS) {
    const row = new RegExp(`^${target}\\s+(\\d+)\\s+\\d+\\s+(\\d+)\\s+no finding$`, 'm').exec(r.stdout);
    if (!row) throw new Error(`no result row for ${target}:\n${output}`);
    expect(Number(row[1])).toBeGreaterThan(0); // executions
    expect(Number(row[2])).toBeGreaterThan(0); // corpus files
  }
});

test('scripts/fuzz.sh refuses a bad budget or target with a one-line reason', () => {
  const seconds = spawnSync('bash', [FUZZ, '--seconds', '0'], { encoding: 'utf8' });
  expect(seconds.status).toBe(2);
  expect(seconds.stderr.trim()).toBe("fuzz: --seconds must be a whole number of seconds >= 1, got '0'");
  const target = spawnSync('bash', [FUZZ, '--targets', 'idx,zip'], { encoding: 'utf8' });
  expect(target.status).toBe(2);
  expect(target.stderr.trim()).toBe(`fuzz: unknown target 'zip' (valid: ${TARGETS.join(' ')})`);
});
