// A checkpoint's state.json is read back as untrusted input. Each damaged file
// here is one of the inputs that crashed the checkpoint_state fuzz target
// (fuzz/corpus/checkpoint_state/crash-*): a float-to-int overflow (undefined
// behaviour) in best.iteration, JSON type errors escaping with nlohmann's own
// text, a negative iteration. Resuming
// from such a file is refused with the field, its value and what is valid;
// the intact file still resumes.
import * as fs from 'fs';
import * as path from 'path';
import { train } from '../lib';
import { patternDataset } from './helpers/data';
import { tempDir } from './helpers/files';

const dir = tempDir('checkpoint-state');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const outDir = path.join(dir, 'run');
const stateFile = path.join(outDir, 'checkpoints', 'iter-00000002', 'state.json');
const base = {
  model: { arch: 'resnet18', stem: 'cifar', attention: 'none', inChannels: 1, numClasses: 4 },
  data: { train: patternDataset(16, 1, 8, 4, 3) },
  batchSize: 4,
  optimizer: { type: 'sgd', lr: 0.02 },
  seed: 5,
} as const;
type State = Record<string, unknown> & { options: Record<string, unknown> };
let original: State;

beforeAll(async () => {
  await train({ ...base, iterations: 2, checkpointEvery: 2, outDir });
  original = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
});

const damaged: [string, (s: State) => object, RegExp][] = [
  ['iteration is a string', (s) => ({ ...s, iteration: 'two' }), /has iteration = "two"; valid: an integer >= 0/],
  ['iteration is negative', (s) => ({ ...s, iteration: -3 }), /has iteration = -3; valid: an integer >= 0/],
  ['best.iteration is beyond int64', (s) => ({ ...s, best: { iteration: 2.1844674407370955e20 } }), /has best.iteration = 2.18\d*e\+20; valid: an integer >= 0/],
  ['best.top1 is a string', (s) => ({ ...s, best: { top1: 'x' } }), /has best.top1 = "x"; valid: a number/],
  ['options.optimizer is a string', (s) => ({ ...s, options: { ...s.options, optimizer: 'sgd' } }), /has options.optimizer = "sgd"; valid: an object/],
  ['options.optimizer.type is a number', (s) => ({ ...s, options: { ...s.options, optimizer: { type: 7 } } }), /has options.optimizer.type = 7; valid: a string/],
  ['options.distributed.worldSize is 1e300', (s) => ({ ...s, options: { ...s.options, distributed: { worldSize: 1e300 } } }), /has options.distributed.worldSize = 1e\+300; valid: an integer >= 1/],
  ['options.distributed.worldSize is a string', (s) => ({ ...s, options: { ...s.options, distributed: { worldSize: '2' } } }), /has options.distributed.worldSize = "2"; valid: an integer >= 1/],
];

test.each(damaged)('%s: resume is refused naming the field, the file and what is valid', async (_name, damage, message) => {
  fs.writeFileSync(stateFile, JSON.stringify(damage(original)));
  const resumed = train({ ...base, iterations: 4, resume: outDir });
  await expect(resumed).rejects.toThrow(message);
  await expect(resumed).rejects.toThrow(/resume: '.*iter-00000002[/\\]state\.json' has /);
});

test('the intact state.json resumes to the end', async () => {
  fs.writeFileSync(stateFile, JSON.stringify(original));
  const result = await train({ ...base, iterations: 4, resume: outDir });
  expect(result.iterations).toBe(4);
});
