// train({ preset }) builds the preset's model: the same PRESET_DEFINITIONS entry the command line's --preset
// reads. The addon is replaced by a stand-in that records the options of the model train() creates and the
// settings it hands over, so this runs in the unit tier (no native code).
import { PRESET_DEFINITIONS } from '../../lib/options';

const created: Record<string, unknown>[] = [];
const trained: Record<string, unknown>[] = [];

jest.mock('../../lib/native', () => ({
  ...jest.requireActual('../../lib/native'),
  native: () => ({
    setThreads: () => undefined,
    Model: class {
      readonly #options: Record<string, unknown>;
      constructor(options: Record<string, unknown>) {
        this.#options = options;
        created.push(options);
      }
      options(): Record<string, unknown> {
        return { ...this.#options, resolvedDevice: 'cpu' };
      }
    },
    train: (_model: unknown, settings: Record<string, unknown>) => {
      trained.push(settings);
      return { promise: Promise.resolve({ iterations: 0, stopped: false }), stop: () => undefined };
    },
  }),
}));

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { train } = require('../../lib/train') as typeof import('../../lib/train');

const data = { train: { images: new Uint8Array(16), labels: [0], shape: [1, 1, 4, 4] as [number, number, number, number] } };

beforeEach(() => {
  created.length = 0;
  trained.length = 0;
});

test("a new model starts from the preset's model; the options given override it", async () => {
  await train({ preset: 'fmnist-resnet18', model: { inChannels: 1, numClasses: 10 }, data });
  expect(created).toEqual([expect.objectContaining({ ...PRESET_DEFINITIONS['fmnist-resnet18'].model, inChannels: 1, numClasses: 10 })]);
  expect(created[0]).toMatchObject({ arch: 'resnet18', stem: 'cifar' });
  expect(trained[0]).toMatchObject({ batchSize: 64, iterations: 5622, labelSmoothing: 0.1 });

  await train({ preset: 'fmnist-resnet18', model: { inChannels: 1, numClasses: 10, stem: 'imagenet', attention: 'se' }, data });
  expect(created[1]).toMatchObject({ arch: 'resnet18', stem: 'imagenet', attention: 'se' });
});

test('a preset without a model, and no preset, build the default model', async () => {
  await train({ preset: 'seed', model: { inChannels: 1, numClasses: 10 }, data });
  await train({ model: { inChannels: 1, numClasses: 10 }, data });
  expect(created.map((o) => o.stem)).toEqual(['imagenet', 'imagenet']);
  expect(trained.map((s) => s.batchSize)).toEqual([8, 8]);
});
