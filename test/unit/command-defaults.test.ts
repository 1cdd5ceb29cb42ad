// Each command's own defaults (lib/cli/defaults.ts): what a run gets when the command line leaves an option
// unset, that --help and docs/options.md show the same values, and the rules around them (a preset or a resumed
// run replaces the recipe, another optimizer starts from its own defaults, derived defaults follow the
// iterations). The presets: one object per preset for the library and the command line.
import { Command } from 'commander';
import { ABLATE_FLAGS, EVAL_FLAGS, RunConfig, TRAIN_FLAGS, addFlags, runConfig, withCommandDefaults } from '../../lib/cli/config';
import { ABLATE_COMMAND_DEFAULTS, CommandDefaults, EVAL_COMMAND_DEFAULTS, TRAIN_COMMAND_DEFAULTS } from '../../lib/cli/defaults';
import {
  CliOption, FMNIST_RESNET18_PRESET, PRESETS, PRESET_DEFINITIONS, SEED_PRESET, cliOptions, defaultText, derived, presetNamed, resolveTrainSettings, rules, withDefaults,
} from '../../lib/options';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { optionsMarkdown } = require('../../scripts/docs/options-md') as { optionsMarkdown: (o: unknown, c: unknown) => string };

function command(name: string, flags: CliOption[]): Command {
  return addFlags(new Command(name).exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined }), flags);
}

/** The options a command line gives, with the command's defaults filled in the order the commands fill them. */
function filled(args: string[], flags: CliOption[], defaults: CommandDefaults): RunConfig {
  const c = command('cmd', flags);
  c.parse(args, { from: 'user' });
  const constants = withCommandDefaults(runConfig(c, flags), flags, defaults, { derived: false });
  return withCommandDefaults(constants, flags, defaults, { derived: true });
}

const ablate = (args: string[]): RunConfig => filled(args, ABLATE_FLAGS, ABLATE_COMMAND_DEFAULTS);

describe('senet-lab ablate', () => {
  test('the main job: the six seed variants of ResNet-18 over three seeds, 300 iterations of batch 64, SGD 0.05, cosine after a warmup', () => {
    expect(ablate([])).toEqual({
      app: { data: 'fashion-mnist', augment: true, archs: ['resnet18'], attentions: ['none', 'se', 'model1', 'model2', 'model3', 'model4'], seeds: [1, 2, 3], claimTimeout: 300 },
      model: {},
      train: {
        iterations: 300, batchSize: 64, logEvery: 50, outDir: 'runs/ablation',
        optimizer: { type: 'sgd', lr: 0.05, weightDecay: 5e-4 },
        schedule: { type: 'cosine', warmupIterations: 15 },
      },
    });
  });

  test('the step events and the warmup follow the iterations; flags override any default', () => {
    const c = ablate(['--iterations', '600', '--lr', '0.1', '--schedule', 'step', '--step-size', '200']);
    expect(c.train).toMatchObject({ iterations: 600, logEvery: 100, optimizer: { type: 'sgd', lr: 0.1, weightDecay: 5e-4 }, schedule: { type: 'step', stepSize: 200, warmupIterations: 30 } });
    expect(ablate(['--iterations', '10']).train).toMatchObject({ logEvery: 1, schedule: { warmupIterations: 0 } });
    expect(ablate(['--log-every', '7', '--warmup-iterations', '3']).train).toMatchObject({ logEvery: 7, schedule: { warmupIterations: 3 } });
  });

  test('a preset is a whole recipe: none of the command\'s recipe applies, its data and the grid do', () => {
    const c = ablate(['--preset', 'seed']);
    expect(c.train).toEqual({ preset: 'seed', outDir: 'runs/ablation' });
    expect(c.app).toMatchObject({ data: 'fashion-mnist', archs: ['resnet18'], seeds: [1, 2, 3] });
    expect(resolveTrainSettings(c.train)).toMatchObject({ batchSize: 8, iterations: 200_000, schedule: SEED_PRESET.schedule });
  });

  test('another optimizer starts from its own defaults, not from the recipe\'s SGD fields', () => {
    const c = ablate(['--optimizer', 'adamw']);
    expect(c.train.optimizer).toEqual({ type: 'adamw' });
    expect(resolveTrainSettings(c.train).optimizer).toEqual({ type: 'adamw', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, decayNormAndBias: true });
    expect(ablate(['--optimizer', 'sgd']).train.optimizer).toEqual({ type: 'sgd', lr: 0.05, weightDecay: 5e-4 });
  });
});

describe('senet-lab train', () => {
  const train = (args: string[]): RunConfig => filled(args, TRAIN_FLAGS, TRAIN_COMMAND_DEFAULTS);

  test('Fashion-MNIST, batch 64, a timestamped run directory; everything else the library\'s', () => {
    const c = train([]);
    expect(c.app).toEqual({ data: 'fashion-mnist', augment: true });
    expect(c.train).toEqual({ batchSize: 64, outDir: expect.stringMatching(/^runs[/\\]train-\d{4}-\d\d-\d\dT/) });
  });

  test('a resumed run writes into its own directory, and a preset brings its batch size and data', () => {
    expect(train(['--resume', 'runs/a']).train).toEqual({ resume: 'runs/a' });
    const preset = train(['--preset', 'fmnist-resnet18']);
    expect(preset.train).toMatchObject({ preset: 'fmnist-resnet18' });
    expect(preset.train).not.toHaveProperty('batchSize');
    expect(preset.app).toEqual({ data: 'fashion-mnist', augment: true });
  });

  test('a new run\'s model takes the data\'s channels and classes; flags and a resumed checkpoint win', () => {
    const c = command('train', TRAIN_FLAGS);
    c.parse(['--num-classes', '12'], { from: 'user' });
    const context = { dataChannels: 1, dataClasses: 10 };
    expect(withCommandDefaults(runConfig(c, TRAIN_FLAGS), TRAIN_FLAGS, TRAIN_COMMAND_DEFAULTS, { derived: true, context }).model).toEqual({ inChannels: 1, numClasses: 12 });
    expect(TRAIN_FLAGS.find((o) => o.name === 'inChannels')).toMatchObject({ commandDefault: true });
    expect(defaultText(TRAIN_FLAGS.find((o) => o.name === 'inChannels')!)).toBe("the data's channels");
    const resumed = command('train', TRAIN_FLAGS);
    resumed.parse(['--resume', 'runs/a'], { from: 'user' });
    expect(withCommandDefaults(runConfig(resumed, TRAIN_FLAGS), TRAIN_FLAGS, TRAIN_COMMAND_DEFAULTS, { derived: true, context: {} }).model).toEqual({});
  });

  test('a data-parallel process that cannot read the resumed checkpoint takes the recipe, like a new run', () => {
    const c = command('train', TRAIN_FLAGS);
    c.parse(['--resume', 'runs/a'], { from: 'user' });
    const config = withCommandDefaults(runConfig(c, TRAIN_FLAGS), TRAIN_FLAGS, TRAIN_COMMAND_DEFAULTS, { derived: false, fromCheckpoint: false });
    expect(config.train).toEqual({ resume: 'runs/a', batchSize: 64 });
  });
});

test('eval reads the Fashion-MNIST test split by default', () => {
  expect(filled(['--weights', 'w.safetensors'], EVAL_FLAGS, EVAL_COMMAND_DEFAULTS).app).toEqual({ weights: 'w.safetensors', data: 'fashion-mnist' });
});

describe('--help and docs/options.md show the defaults the commands use', () => {
  const help = (name: string, flags: CliOption[]): string => command(name, flags).helpInformation({ error: false }).replace(/\s+/g, ' ');

  test('--help', () => {
    expect(help('train', TRAIN_FLAGS)).toMatch(/--batch-size <n> batch size \(per process in distributed runs\) \(default: 64\)/);
    expect(help('train', TRAIN_FLAGS)).toMatch(/--iterations <n> training iterations \(default: 1000\)/);
    expect(help('train', TRAIN_FLAGS)).toMatch(/--weight-decay <x> .* \(default: 0\.0001 \(sgd\), 0\.01 \(adamw\)\)/);
    const ablateHelp = help('ablate', ABLATE_FLAGS);
    for (const text of ['--iterations <n> training iterations (default: 300)', '--lr <x> base learning rate (default: 0.05)',
      '--warmup-iterations <n> linear warmup iterations (default: iterations / 20)', '--seeds <list> comma-separated seeds (default: 1,2,3)']) {
      expect(ablateHelp).toContain(text);
    }
  });

  test('every flag of every command shows the value the command fills in or the library applies', () => {
    for (const [flags, defaults] of [[TRAIN_FLAGS, TRAIN_COMMAND_DEFAULTS], [ABLATE_FLAGS, ABLATE_COMMAND_DEFAULTS]] as const) {
      for (const [name, value] of Object.entries({ ...defaults.run, ...defaults.recipe })) {
        const flag = flags.find((o) => o.name === name)!;
        expect(flag).toMatchObject({ default: value, commandDefault: true });
      }
    }
    expect(TRAIN_FLAGS.find((o) => o.name === 'batchSize')).toMatchObject({ default: 64, commandDefault: true });
    expect(TRAIN_FLAGS.find((o) => o.name === 'labelSmoothing')).toMatchObject({ default: 0 });
    expect(TRAIN_FLAGS.find((o) => o.name === 'labelSmoothing')).not.toHaveProperty('commandDefault');
  });

  test('docs/options.md', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const markdown = optionsMarkdown(require('../../lib/options'), require('../../lib/cli/config'));
    expect(markdown).toContain('| `batchSize` | `--batch-size` (train, ablate only; default train: 64, ablate: 64) | an integer in [1, 1048576] | `8` |');
    expect(markdown).toContain('| `--warmup-iterations <n>` | `warmupIterations` | **`iterations / 20`** | linear warmup iterations |');
    expect(markdown).toContain('| `--batch-size <n>` | `batchSize` | **`64`** | batch size (per process in distributed runs) |');
  });
});

test('a command default must name a flag and pass its rule', () => {
  const flags = cliOptions({ batchSize: { rule: rules.integer(1), default: 8, help: 'batch size' } }, ['train']);
  expect(() => withDefaults(flags, { batchSise: 64 })).toThrow("command default 'batchSise' names no flag of the command; flags: batchSize");
  expect(() => withDefaults(flags, { batchSize: 0 })).toThrow('command default batchSize: must be an integer >= 1, got 0');
  const [withOwn] = withDefaults(flags, { batchSize: derived('twice the lr', () => 2) });
  expect(defaultText(withOwn)).toBe('twice the lr');
});

describe('presets', () => {
  test('one object per preset: the library\'s recipe is the preset\'s train part', () => {
    expect(PRESETS.seed).toBe(PRESET_DEFINITIONS.seed.train);
    expect(PRESETS['fmnist-resnet18']).toBe(PRESET_DEFINITIONS['fmnist-resnet18'].train);
    expect(FMNIST_RESNET18_PRESET).toBe(presetNamed('fmnist-resnet18').train);
    expect(presetNamed('fmnist-resnet18')).toMatchObject({ model: { arch: 'resnet18', stem: 'cifar' }, data: { spec: 'fashion-mnist', augment: true } });
    expect(() => presetNamed('imagenet')).toThrow("preset: unknown value 'imagenet'");
  });

  test('--preset lists every preset with its summary', () => {
    const flag = TRAIN_FLAGS.find((o) => o.name === 'preset')!;
    for (const [name, preset] of Object.entries(PRESET_DEFINITIONS)) expect(flag.help).toContain(`${name}: ${preset.summary}`);
  });
});
