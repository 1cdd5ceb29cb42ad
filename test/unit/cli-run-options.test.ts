// What the commands hand to the library: `senet-lab train` and `senet-lab ablate` run in this process with the
// addon replaced by a stand-in that records the datasets opened, the model created and the training settings,
// then fails the run (so nothing trains). This checks the command defaults end to end — the default tables,
// --epochs, presets, the optimizer rule — in the unit tier; test/cli.test.ts trains for real.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

type Recorded = { kind: 'dataset' | 'model' | 'train'; value: Record<string, unknown> };
const recorded: Recorded[] = [];

jest.mock('../../lib/native', () => {
  const classNames = Array.from({ length: 10 }, (_, i) => `class ${i}`);
  return {
    ...jest.requireActual('../../lib/native'),
    native: () => ({
      setThreads: () => undefined,
      runtimeInfo: () => ({ threads: 1 }),
      openDataset: async (spec: Record<string, unknown>) => {
        recorded.push({ kind: 'dataset', value: spec });
        const size = spec.split === 'test' ? 10_000 : 60_000;
        return { info: () => ({ type: 'idx', location: 'stand-in', size, classNames, classCounts: [], imageShape: [1, 28, 28], sampleShape: [1, 28, 28], skipped: 0, skippedExamples: [] }) };
      },
      Model: class {
        readonly #options: Record<string, unknown>;
        constructor(options: Record<string, unknown>) {
          this.#options = options;
          recorded.push({ kind: 'model', value: options });
        }
        options(): Record<string, unknown> {
          return { ...this.#options, resolvedDevice: 'cpu' };
        }
      },
      train: (_model: unknown, settings: Record<string, unknown>) => {
        recorded.push({ kind: 'train', value: settings });
        return { promise: Promise.reject(new Error('stand-in addon: not training')), stop: () => undefined };
      },
    }),
  };
});

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { main } = require('../../lib/cli/main') as typeof import('../../lib/cli/main');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-unit-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the command; returns the model options and training settings it handed to the (stand-in) addon. */
async function handedOver(...args: string[]): Promise<{ model: Record<string, unknown>; train: Record<string, unknown>; datasets: Record<string, unknown>[]; code: number }> {
  recorded.length = 0;
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await main(['node', 'senet-lab', ...args]);
    const of = (kind: Recorded['kind']): Record<string, unknown>[] => recorded.filter((r) => r.kind === kind).map((r) => r.value);
    if (of('train').length === 0) throw new Error(`nothing was trained (exit ${code}): ${errors.mock.calls.flat().join(' ')}`);
    return { model: of('model')[0], train: of('train')[0], datasets: of('dataset'), code };
  } finally {
    errors.mockRestore();
    logs.mockRestore();
    // The commands stop at Ctrl-C: drop the handlers this run added, keep any the runner has.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const l of process.listeners(signal)) if (!listeners[signal].includes(l)) process.removeListener(signal, l);
    }
  }
}

let runs = 0;
const out = (): string => path.join(dir, `run-${runs++}`);

describe('senet-lab train', () => {
  test('Fashion-MNIST with augmentation, batch 64, the data\'s channels and classes; the rest the library\'s', async () => {
    const { model, train, datasets, code } = await handedOver('train', '--iterations', '3', '--out', out());
    expect(code).toBe(1); // the stand-in fails the run
    expect(datasets.map((d) => [d.type, d.split])).toEqual([['idx', 'train'], ['idx', 'test']]);
    expect(datasets[0].transforms).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'randomCrop' }), { type: 'hflip' }]));
    expect(model).toMatchObject({ arch: 'resnet18', stem: 'imagenet', attention: 'none', inChannels: 1, numClasses: 10, seed: 0 });
    expect(train).toMatchObject({ iterations: 3, batchSize: 64, logEvery: 50, optimizer: { type: 'sgd', lr: 0.01, weightDecay: 1e-4 }, schedule: { type: 'constant' } });
  });

  test('--preset fmnist-resnet18: the preset\'s model, recipe and data', async () => {
    const { model, train } = await handedOver('train', '--preset', 'fmnist-resnet18', '--out', out());
    expect(model).toMatchObject({ arch: 'resnet18', stem: 'cifar', inChannels: 1, numClasses: 10 });
    expect(train).toMatchObject({ iterations: 5622, batchSize: 64, labelSmoothing: 0.1, schedule: { type: 'cosine', warmupIterations: 200 } });
  });

  test('--epochs counts iterations at the batch size the run uses', async () => {
    expect((await handedOver('train', '--epochs', '1', '--out', out())).train).toMatchObject({ iterations: 938, batchSize: 64 });
    expect((await handedOver('train', '--epochs', '1', '--preset', 'seed', '--out', out())).train).toMatchObject({ iterations: 7500, batchSize: 8 });
  });
});

describe('senet-lab ablate', () => {
  test('the main job\'s recipe', async () => {
    const { model, train } = await handedOver('ablate', '--seeds', '1', '--out', out());
    expect(model).toMatchObject({ arch: 'resnet18', attention: 'none', inChannels: 1, numClasses: 10, seed: 1 });
    expect(train).toMatchObject({
      iterations: 300, batchSize: 64, logEvery: 50,
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'cosine', warmupIterations: 15 },
    });
  });

  test('the warmup and the step events follow the iterations, --epochs included', async () => {
    expect((await handedOver('ablate', '--seeds', '1', '--iterations', '600', '--out', out())).train).toMatchObject({ logEvery: 100, schedule: { warmupIterations: 30 } });
    expect((await handedOver('ablate', '--seeds', '1', '--epochs', '1', '--out', out())).train).toMatchObject({ iterations: 938, logEvery: 156, schedule: { warmupIterations: 46 } });
  });

  test('--optimizer adamw starts from AdamW\'s defaults; --preset replaces the whole recipe', async () => {
    expect((await handedOver('ablate', '--seeds', '1', '--optimizer', 'adamw', '--out', out())).train).toMatchObject({
      iterations: 300, optimizer: { type: 'adamw', lr: 0.01, weightDecay: 0.01 },
    });
    expect((await handedOver('ablate', '--seeds', '1', '--preset', 'seed', '--out', out())).train).toMatchObject({
      iterations: 200_000, batchSize: 8, logEvery: 50, schedule: { type: 'step', stepSize: 100_000, warmupIterations: 0 },
    });
  });
});
