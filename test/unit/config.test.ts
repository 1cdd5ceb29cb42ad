// The command line's config: flags and --config JSON validated by the same
// rules; an unknown key names the valid keys; flags override the file.
import { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ABLATE_FLAGS, TRAIN_FLAGS, addFlags, configSchema, runConfig } from '../../lib/cli/config';
import { OptionError } from '../../lib/options';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-unit-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function configFile(content: unknown, name = 'run.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function parse(args: string[], flags = TRAIN_FLAGS): ReturnType<typeof runConfig> {
  const command = addFlags(new Command('train').exitOverride().configureOutput({ writeErr: () => undefined }), flags);
  command.parse(args, { from: 'user' });
  return runConfig(command, flags);
}

test('flags are grouped by where they go', () => {
  const c = parse(['--data', 'cifar10:/d', '--attention', 'model4', '--iterations', '5', '--lr', '0.2', '--schedule', 'cosine', '--no-shuffle', '--milestones', '2,4']);
  expect(c).toEqual({
    app: { data: 'cifar10:/d' },
    model: { attention: 'model4' }, // as typed: the alias stays the name the user chose
    train: { iterations: 5, shuffle: false, optimizer: { lr: 0.2 }, schedule: { type: 'cosine', milestones: [2, 4] } },
  });
});

test('the config file, with flags overriding it; an implicit --no-x default does not', () => {
  const file = configFile({ lr: 0.1, momentum: 0.5, shuffle: false, batchSize: 4, out: 'runs/x' });
  expect(parse(['--config', file, '--lr', '0.3']).train).toEqual({ batchSize: 4, outDir: 'runs/x', shuffle: false, optimizer: { lr: 0.3, momentum: 0.5 } });
});

test('an unknown key in the file names it and lists the valid keys', () => {
  const file = configFile({ batchSize: 8, learningRate: 0.1 });
  const keys = TRAIN_FLAGS.map((f) => f.name).join(', ');
  expect(() => parse(['--config', file])).toThrow(new OptionError('learningRate', `unknown key in ${file}; valid: ${keys}`));
});

test("a wrong type in the file gets the rule's message and the file's name", () => {
  const file = configFile({ batchSize: '8' });
  expect(() => parse(['--config', file])).toThrow(new OptionError('batchSize', `must be an integer in [1, 1048576], got '8' (in ${file})`));
  const enumFile = configFile({ schedule: 'linear' }, 'enum.json');
  expect(() => parse(['--config', enumFile])).toThrow(new OptionError('schedule', `unknown value 'linear'; valid: constant, step, multistep, cosine (in ${enumFile})`));
});

test("a flag's bad value gets the rule's message", () => {
  expect(() => parse(['--lr', 'fast'])).toThrow(new OptionError('lr', "must be a number > 0, got 'fast'"));
  expect(() => parse(['--attentions', 'se,bogus'], ABLATE_FLAGS)).toThrow(/^attentions: must be a comma-separated list of none, se, /);
});

test('unreadable and malformed files', () => {
  expect(() => parse(['--config', path.join(dir, 'missing.json')])).toThrow(/^config: cannot read .*missing\.json/);
  expect(() => parse(['--config', configFile('{ lr: ', 'bad.json')])).toThrow(/^config: .*bad\.json is not valid JSON/);
});

test('the schema: one optional key per flag, strict', () => {
  const schema = configSchema(ABLATE_FLAGS);
  expect(Object.keys(schema.shape)).toEqual(ABLATE_FLAGS.map((f) => f.name));
  expect(schema.safeParse({}).success).toBe(true);
  expect(schema.safeParse({ seeds: [1, 2], archs: ['resnet50'] }).success).toBe(true);
  expect(schema.safeParse({ resume: 'x' }).success).toBe(false);
});
