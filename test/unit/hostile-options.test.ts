// Hostile values for every option of every table, by the kind of its rule:
// wrong types (strings for numbers, arrays for objects), NaN, ±Infinity,
// fractions for integers, sizes beyond any range, null. Each one is refused
// with an OptionError naming the field — none is coerced, none slips through.
import * as options from '../../lib/options';
import { appOptionTable } from '../../lib/cli/config';
import {
  OptionError, OptionSpec, OptionTable, resolveEvaluateOptions, resolveModelOptions, resolvePredictOptions, resolveTable, resolveTrainSettings,
} from '../../lib/options';
import { resolveDatasetSpec } from '../../lib/data';

const tables = Object.entries({ ...options, appOptionTable })
  .filter(([name]) => name.endsWith('OptionTable'))
  .map(([name, table]) => [name, table as OptionTable<Record<string, unknown>>] as const);

const NOT_PLAIN: unknown[] = [null, [], {}, [1], { valueOf: () => 1 }];
const HOSTILE: Record<string, unknown[]> = {
  integer: ['8', '', 1.5, -0.5, NaN, Infinity, -Infinity, 1e300, -1e300, true, ...NOT_PLAIN],
  number: ['0.1', '', NaN, Infinity, -Infinity, true, ...NOT_PLAIN],
  boolean: ['true', 'false', 1, 0, ...NOT_PLAIN],
  enum: [1, '', 'no-such-value', true, ...NOT_PLAIN],
  string: [1, '', true, ...NOT_PLAIN.filter((v) => !(Array.isArray(v) && v.length === 0))],
  numbers: ['1,2', 1, [NaN], [Infinity], ['1'], [[1]], [null], {}, null, true],
};

describe.each(tables)('%s', (_name, table) => {
  const entries = Object.entries(table) as [string, OptionSpec<unknown>][];
  test.each(entries)('%s: every hostile value of its kind is an OptionError naming it', (key, spec) => {
    const values = HOSTILE[spec.rule.kind];
    expect(values).toBeDefined();
    for (const value of values) {
      let error: unknown;
      try {
        resolveTable(table, { [key]: value }, 'parent.');
      } catch (e) {
        error = e;
      }
      if (!(error instanceof OptionError)) throw new Error(`${key}: ${String(value)} (${typeof value}) was accepted`);
      expect(error.field).toBe(`parent.${key}`);
      // NaN and ±Infinity are shown as themselves (JSON would print null).
      if (typeof value === 'number' && !Number.isFinite(value)) expect(error.message).toContain(`got ${String(value)}`);
    }
  });
});

describe('objects where objects belong, nothing else', () => {
  const refused: [string, () => unknown, RegExp][] = [
    ['optimizer: []', () => resolveTrainSettings({ optimizer: [] as never }), /^optimizer: must be an object like/],
    ['optimizer: "sgd"', () => resolveTrainSettings({ optimizer: 'sgd' as never }), /^optimizer: must be an object like/],
    ['schedule: "cosine"', () => resolveTrainSettings({ schedule: 'cosine' as never }), /^schedule: must be an object like/],
    ['schedule: null', () => resolveTrainSettings({ schedule: null as never }), /^schedule: must be an object like/],
    ['shard: [0, 2]', () => resolveTrainSettings({ shard: [0, 2] as never }), /^shard: must be an object like/],
    ['distributed: 2', () => resolveTrainSettings({ distributed: 2 as never }), /^distributed: /],
    ['optimizer.betas: "0.9,0.99"', () => resolveTrainSettings({ optimizer: { type: 'adamw', lr: 1e-3, betas: '0.9,0.99' as never } }), /^optimizer\.betas: /],
    ['schedule.milestones: 10', () => resolveTrainSettings({ schedule: { type: 'multistep', milestones: 10 as never } }), /^schedule\.milestones: /],
    ['iterations: 1e12 with a huge warmup', () => resolveTrainSettings({ iterations: 5, schedule: { type: 'constant', warmupIterations: 1e9 } }), /^schedule\.warmupIterations: /],
    ['model options: "resnet18"', () => resolveModelOptions('resnet18' as never), /^options: must be an object like/],
    ['model options: []', () => resolveModelOptions([] as never), /^options: must be an object like/],
    ['predict options: []', () => resolvePredictOptions([]), /must be an object/],
    ['evaluate options: 5', () => resolveEvaluateOptions(5), /must be an object/],
    ['dataset spec: 42', () => resolveDatasetSpec(42 as never), /^spec: must be 'fashion-mnist' or an object/],
    ['dataset spec: []', () => resolveDatasetSpec([] as never), /^type: unknown value/],
    ['transforms: {}', () => resolveDatasetSpec({ type: 'synthetic', size: 4, transforms: {} as never }), /^transforms: must be an array/],
  ];
  test.each(refused)('%s', (_label, run, message) => {
    expect(run).toThrow(OptionError);
    expect(run).toThrow(message);
  });
});

describe('sizes that would allocate more than the machine has are refused before allocating', () => {
  test('a synthetic dataset of terabytes names size and what it would take', () => {
    expect(() => resolveDatasetSpec({ type: 'synthetic', size: 10_000_000, channels: 64, height: 4096, width: 4096 })).toThrow(
      /^size: 10000000 images of 64×4096×4096 need about \d+ GB while they are generated, more than this machine's \d+ GB of memory; use fewer or smaller images$/,
    );
    expect(resolveDatasetSpec({ type: 'synthetic', size: 100, channels: 3, height: 32, width: 32 })).toMatchObject({ size: 100 });
  });

  test.each([
    ['size', { size: 1e12 }], ['size', { size: -1 }], ['size', { size: 2.5 }], ['size', { size: '100' }], ['height', { height: 1e6 }],
    ['width', { width: NaN }], ['channels', { channels: Infinity }], ['classes', { classes: 0 }], ['seed', { seed: -1 }],
  ])('synthetic %s out of range: refused naming it', (field, override) => {
    expect(() => resolveDatasetSpec({ type: 'synthetic', size: 4, ...override } as never)).toThrow(new RegExp(`^${field}: must be an integer`));
  });
});
