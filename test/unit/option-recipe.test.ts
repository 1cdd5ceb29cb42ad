// CONTRIBUTING.md's recipe for a new option, followed mechanically: one entry
// in an option table (here a hypothetical `gradClipNorm` in trainOptionTable)
// is all the TypeScript side needs — train() accepts and validates it, the
// `train`/`ablate` commands get a flag and a config key, and docs/options.md a
// row. (The native half — a struct member and its name in the JSON field
// list — is checked against the tables in native-structs.test.ts.)
import { Command } from 'commander';
import type * as Options from '../../lib/options';
import type * as Config from '../../lib/cli/config';
import type * as Train from '../../lib/train';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { optionsMarkdown } = require('../../scripts/docs/options-md') as { optionsMarkdown: (o: unknown, c: unknown) => string };

interface Modules {
  options: typeof Options;
  config: typeof Config;
  train: typeof Train;
}

/** Fresh copies of lib/ with one entry added to trainOptionTable before anything derives from it. */
function withNewOption(): Modules {
  let modules: Modules | undefined;
  jest.isolateModules(() => {
    const options = require('../../lib/options') as typeof Options;
    (options.trainOptionTable as unknown as Record<string, Options.OptionSpec<number>>).gradClipNorm = {
      rule: options.rules.number('a number > 0', (v) => v > 0),
      help: 'clip the global gradient norm to this value',
    };
    modules = { options, config: require('../../lib/cli/config'), train: require('../../lib/train') };
  });
  return modules!;
}

const { options, config, train } = withNewOption();

test('the library validates it', async () => {
  expect(options.resolveTrainSettings({ gradClipNorm: 1.5 } as never)).toMatchObject({ gradClipNorm: 1.5 });
  expect(options.resolveTrainSettings({})).not.toHaveProperty('gradClipNorm'); // no default: unset
  expect(() => options.resolveTrainSettings({ gradClipNorm: 0 } as never)).toThrow(new options.OptionError('gradClipNorm', 'must be a number > 0, got 0'));
  // train() knows the key (it fails later, on the missing data, before touching the addon).
  await expect(train.train({ model: {}, data: {} as never, gradClipNorm: 1 } as never)).rejects.toThrow(/^data\.train: is required/);
  await expect(train.train({ model: {}, data: {} as never, gradClipNorm: -1 } as never)).rejects.toThrow(/^gradClipNorm: must be a number > 0, got -1/);
});

test('both commands get the flag, and the config file the key', () => {
  for (const flags of [config.TRAIN_FLAGS, config.ABLATE_FLAGS]) {
    expect(flags.find((f) => f.name === 'gradClipNorm')).toMatchObject({
      flags: ['--grad-clip-norm <x>'], target: ['train', 'gradClipNorm'], help: 'clip the global gradient norm to this value',
    });
  }
  const schema = config.configSchema(config.TRAIN_FLAGS);
  expect(schema.safeParse({ gradClipNorm: 0.5 }).success).toBe(true);
  const bad = schema.safeParse({ gradClipNorm: 'big' });
  expect(bad.success || bad.error.issues[0].message).toBe("must be a number > 0, got 'big'");
  const command = config.addFlags(new Command('train').exitOverride(), config.TRAIN_FLAGS);
  command.parse(['--grad-clip-norm', '2', '--iterations', '5'], { from: 'user' });
  expect(config.runConfig(command, config.TRAIN_FLAGS).train).toEqual({ gradClipNorm: 2, iterations: 5 });
});

test('docs/options.md gets its row', () => {
  const markdown = optionsMarkdown(options, config);
  expect(markdown).toContain('| `gradClipNorm` | `--grad-clip-norm` (train, ablate only) | a number > 0 | — | clip the global gradient norm to this value |');
  expect(markdown).toContain('| `--grad-clip-norm <x>` | `gradClipNorm` | — | clip the global gradient norm to this value |');
});

test('the copy did not leak into the modules the other tests use', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const shared = require('../../lib/options') as typeof Options;
  expect(shared.trainOptionTable).not.toHaveProperty('gradClipNorm');
});
