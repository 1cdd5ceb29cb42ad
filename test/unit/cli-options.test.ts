// cliOptions(): how a table entry becomes command-line flags, and how flag
// text becomes a value; plus the real flag lists of `train` and `ablate`.
import { ABLATE_FLAGS, TRAIN_FLAGS } from '../../lib/cli/config';
import { OptionTable, cliOptions, parseFlagValue, rules, setPath, trainOptionTable } from '../../lib/options';

interface Demo {
  batchSize?: number;
  learningRate?: number;
  shuffle?: boolean;
  verbose?: boolean;
  channelsLast?: boolean;
  mode?: 'a' | 'b';
  kind?: 'x' | 'y';
  outDir?: string;
  hidden?: number;
  milestones?: number[];
}

const demo: OptionTable<Demo> = {
  batchSize: { rule: rules.integer(1), default: 8, help: 'batch size' },
  learningRate: { rule: rules.number('a number > 0', (v) => v > 0), help: 'lr' },
  shuffle: { rule: rules.boolean(), default: true, help: 'shuffle' },
  verbose: { rule: rules.boolean(), default: false, help: 'talk' },
  channelsLast: { rule: rules.boolean(), help: 'layout' },
  mode: { rule: rules.oneOf(['a', 'b'] as const), default: 'a', help: 'the mode' },
  kind: { rule: rules.oneOf(['x', 'y'] as const), help: 'x | y' },
  outDir: { rule: rules.text(), help: 'where', flag: 'out' },
  hidden: { rule: rules.integer(0), help: 'API only', flag: false },
  milestones: { rule: rules.numbers(rules.integer(1), 'iterations'), help: 'list' },
};
const byName = Object.fromEntries(cliOptions(demo, ['train']).map((o) => [o.name, o]));

test('flag spelling: kebab-case with a placeholder by kind', () => {
  expect(byName.batchSize.flags).toEqual(['--batch-size <n>']);
  expect(byName.learningRate.flags).toEqual(['--learning-rate <x>']);
  expect(byName.milestones.flags).toEqual(['--milestones <list>']);
  expect(byName.mode.flags).toEqual(['--mode <name>']);
  expect(byName.outDir).toBeUndefined();
  expect(byName.out).toMatchObject({ flags: ['--out <value>'], target: ['train', 'outDir'] });
  expect(byName.hidden).toBeUndefined();
  expect(byName.batchSize.target).toEqual(['train', 'batchSize']);
});

test('booleans: --no-x when the default is true, --x when false, both when unset', () => {
  expect(byName.shuffle).toMatchObject({ flags: ['--no-shuffle'], help: 'off: shuffle (on by default)' });
  expect(byName.verbose).toMatchObject({ flags: ['--verbose'], help: 'talk' });
  expect(byName.channelsLast).toMatchObject({ flags: ['--channels-last', '--no-channels-last'], help: 'layout; --no-channels-last to turn it off' });
});

test('enum help lists the values unless the help already does', () => {
  expect(byName.mode.help).toBe('the mode (a | b)');
  expect(byName.kind.help).toBe('x | y');
});

test('flag text to values; the rule judges them afterwards', () => {
  expect(parseFlagValue(byName.batchSize, '12')).toBe(12);
  expect(parseFlagValue(byName.learningRate, '1e-3')).toBe(0.001);
  expect(parseFlagValue(byName.learningRate, 'fast')).toBe('fast');
  expect(parseFlagValue(byName.learningRate, ' ')).toBe(' ');
  expect(parseFlagValue(byName.milestones, '10, 20,30')).toEqual([10, 20, 30]);
  expect(parseFlagValue(byName.milestones, '10,x')).toEqual([10, 'x']);
  expect(parseFlagValue(byName.verbose, true)).toBe(true);
  expect(parseFlagValue(byName.mode, 'b')).toBe('b');
});

test('setPath creates the objects on the way', () => {
  const target: Record<string, unknown> = { train: { iterations: 3 } };
  setPath(target, ['train', 'optimizer', 'lr'], 0.1);
  expect(target).toEqual({ train: { iterations: 3, optimizer: { lr: 0.1 } } });
});

describe('the commands', () => {
  test.each([['train', TRAIN_FLAGS], ['ablate', ABLATE_FLAGS]])('%s: config keys and flag spellings are unique', (_command, flags) => {
    const names = flags.map((f) => f.name);
    const spellings = flags.flatMap((f) => f.flags.map((s) => s.split(' ')[0]));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(spellings).size).toBe(spellings.length);
  });

  test('every training option with a flag is a flag of train', () => {
    const targets = TRAIN_FLAGS.map((f) => f.target.join('.'));
    for (const [key, spec] of Object.entries(trainOptionTable)) {
      if ((spec as { flag?: unknown }).flag !== false) expect(targets).toContain(`train.${key}`);
    }
  });

  test('ablate takes the grid instead of one arch/attention, and no --resume', () => {
    const names = ABLATE_FLAGS.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['archs', 'attentions', 'seeds']));
    expect(names).not.toEqual(expect.arrayContaining(['arch']));
    expect(names).not.toContain('attention');
    expect(names).not.toContain('resume');
    expect(TRAIN_FLAGS.map((f) => f.name)).not.toContain('seeds');
  });

  test('the optimizer flag switches between both optimizers and carries both their fields', () => {
    const optimizer = TRAIN_FLAGS.find((f) => f.name === 'optimizer')!;
    expect(optimizer).toMatchObject({ flags: ['--optimizer <name>'], target: ['train', 'optimizer', 'type'] });
    expect(optimizer.rule.values).toEqual(['sgd', 'adamw']);
    const optimizerKeys = TRAIN_FLAGS.filter((f) => f.target[1] === 'optimizer').map((f) => f.name);
    expect(optimizerKeys).toEqual(expect.arrayContaining(['lr', 'momentum', 'nesterov', 'betas', 'eps', 'weightDecay']));
  });
});
