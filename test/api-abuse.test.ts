// The library under abuse: wrong types at the call boundary, a disposed
// model, AbortSignals fired before the start, twice and after the end, the
// same model in two train() calls at once, shapes that would allocate more
// than the machine has. Each is a clear Error naming the field, and the
// process (and the model) lives on.
import { OptionError, createModel, runtimeInfo, setThreads, train } from '../lib';
import { patternDataset } from './helpers/data';

// `threads: 1` below sets the process-wide count; the test files after this one in the same process expect the
// default (the parity files compare with a PyTorch reference running on all cores).
const defaultThreads = runtimeInfo().threads;
afterAll(() => setThreads(defaultThreads));

const modelOptions = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4 } as const;
const data = { train: patternDataset(16, 1, 8, 4, 5) };
const base = { data, batchSize: 4, iterations: 2, logEvery: 1, seed: 1, threads: 1 };

/** The model still answers, with the same logits as before: nothing half-happened to it. */
async function stillWorks(model: ReturnType<typeof createModel>, before: Float32Array): Promise<void> {
  expect(Array.from(await model.predict(new Float32Array(64), [1, 1, 8, 8]))).toEqual(Array.from(before));
}

describe('train() call boundary', () => {
  const model = createModel(modelOptions);
  let before: Float32Array;
  beforeAll(async () => {
    before = await model.predict(new Float32Array(64), [1, 1, 8, 8]);
  });
  afterAll(() => model.dispose());

  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['options: null', () => train(null as never), /^options: must be an object, got null$/],
    ['options: []', () => train([] as never), /^options: must be an object, got \[\]$/],
    ['model: "resnet18"', () => train({ ...base, model: 'resnet18' as never }), /^model: must be a Model or model options/],
    ['model: [] ', () => train({ ...base, model: [] as never }), /^model: must be a Model or model options/],
    ['data: []', () => train({ ...base, model, data: [] as never }), /^data.train: is required$/],
    ['data.train: "x"', () => train({ ...base, model, data: { train: 'x' as never } }), /^data.train: must be \{ images, labels, shape \}$/],
    ['data.train.shape: "4,1,8,8"', () => train({ ...base, model, data: { train: { ...data.train, shape: '4,1,8,8' as never } } }), /^data.train.shape: must be \[N, C, H, W\]$/],
    ['data.train.shape: NaN', () => train({ ...base, model, data: { train: { ...data.train, shape: [NaN, 1, 8, 8] } } }), /^data.train.shape\[0\]: must be an integer/],
    ['data.train.images: number[]', () => train({ ...base, model, data: { train: { ...data.train, images: [1, 2] as never } } }), /^data.train.images: must be a Uint8Array/],
    ['iterations: "10"', () => train({ ...base, model, iterations: '10' as never }), /^iterations: must be an integer >= 1, got '10'$/],
    ['iterations: Infinity', () => train({ ...base, model, iterations: Infinity }), /^iterations: must be an integer >= 1, got Infinity$/],
    ['batchSize: 2**40', () => train({ ...base, model, batchSize: 2 ** 40 }), /^batchSize: must be an integer in \[1, 1048576\]/],
    ['optimizer.lr: NaN', () => train({ ...base, model, optimizer: { type: 'sgd', lr: NaN } }), /^optimizer.lr: must be a number > 0/],
    ['control: "x"', () => train({ ...base, model }, 'x' as never), /^control: must be an object/],
    ['control.signal: {}', () => train({ ...base, model }, { signal: {} as never }), /^signal: must be an AbortSignal/],
    ['control.onEvent: 1', () => train({ ...base, model }, { onEvent: 1 as never }), /^onEvent: must be a function$/],
    ['control.onevent', () => train({ ...base, model }, { onevent: () => undefined } as never), /^onevent: unknown control field; valid: onEvent, signal$/],
  ];
  test.each(cases)('%s', async (_label, call, message) => {
    const error = await call().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).toMatch(message);
    await stillWorks(model, before);
  });
});

describe('AbortSignal', () => {
  test('fired before the start: refused naming signal, nothing trained', async () => {
    const model = createModel(modelOptions);
    const before = await model.predict(new Float32Array(64), [1, 1, 8, 8]);
    const controller = new AbortController();
    controller.abort();
    await expect(train({ ...base, model }, { signal: controller.signal })).rejects.toThrow(/^signal: was aborted before train\(\) started/);
    await stillWorks(model, before);
    model.dispose();
  });

  test('fired twice during a run: one stop; fired after the end: nothing happens', async () => {
    const model = createModel(modelOptions);
    const controller = new AbortController();
    const result = await train({ ...base, model, iterations: 50 }, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.iteration === 1) {
          controller.abort();
          controller.abort(); // a second abort() is a no-op for AbortController; the run must not mind
        }
      },
    });
    expect(result.stopped).toBe(true);
    expect(result.iterations).toBeLessThan(50);
    const finished = await train({ ...base, model }, { signal: new AbortController().signal });
    const late = new AbortController();
    const done = await train({ ...base, model }, { signal: late.signal });
    late.abort(); // after the end
    expect(finished.stopped).toBe(false);
    expect(done.stopped).toBe(false);
    await model.predict(new Float32Array(64), [1, 1, 8, 8]);
    model.dispose();
  });
});

describe('one model, two train() calls at once', () => {
  test('the second is refused naming model; the first finishes; afterwards the model trains again', async () => {
    const model = createModel(modelOptions);
    const first = train({ ...base, model, iterations: 4 });
    await expect(train({ ...base, model })).rejects.toThrow(/^model: is being trained by another train\(\) call/);
    const result = await first;
    expect(result.iterations).toBe(4);
    await expect(train({ ...base, model })).resolves.toMatchObject({ iterations: 2 });
    model.dispose();
  });
});

describe('a disposed model', () => {
  test('train, predict, evaluate-style use and a second dispose: clear errors, no crash', async () => {
    const model = createModel(modelOptions);
    model.dispose();
    model.dispose(); // twice is harmless
    await expect(train({ ...base, model })).rejects.toThrow(/this model has been disposed/);
    await expect(model.predict(new Float32Array(64), [1, 1, 8, 8])).rejects.toThrow(/disposed/);
    expect(() => model.stateDictKeys()).toThrow(/disposed/);
    expect(() => model.summary()).toThrow(/disposed/);
  });
});

describe('shapes that would allocate terabytes are refused before allocating', () => {
  const model = createModel(modelOptions);
  afterAll(() => model.dispose());

  test.each([
    [[1_000_000, 1, 1000, 1000]],
    [[1, 1, 1_000_000, 1_000_000]],
  ])('predict %j: refused naming shape, with a tiny input', async (shape) => {
    await expect(model.predict(new Float32Array(4), shape as never)).rejects.toThrow(
      /^shape: \[.*\] needs at least \d+ GB for its first activation .* more than this machine's \d+(\.\d)? GB of memory; predict smaller batches or images$/,
    );
    expect(await model.predict(new Float32Array(64), [1, 1, 8, 8])).toHaveLength(4);
  });

  test.each([
    [[1.5, 1, 8, 8], /^shape\[0\]: must be an integer/],
    [[-1, 1, 8, 8], /^shape\[0\]: must be an integer/],
    [[NaN, 1, 8, 8], /^shape\[0\]: must be an integer/],
    [[1, 1, Infinity, 8], /^shape\[2\]: must be an integer/],
    [['1', 1, 8, 8], /^shape\[0\]: must be an integer/],
    [[1, 1, 8], /^shape: must be \[N, C, H, W\]/],
    [{ 0: 1, 1: 1, 2: 8, 3: 8, length: 4 }, /^shape: must be \[N, C, H, W\]/],
  ])('predict shape %j is refused naming it', async (shape, message) => {
    await expect(model.predict(new Float32Array(64), shape as never)).rejects.toThrow(message);
  });

  test('predict input of the wrong type is refused naming input', async () => {
    await expect(model.predict([0, 1] as never, [1, 1, 1, 2])).rejects.toThrow(/^input: must be a Float32Array/);
    await expect(model.predict(new Float64Array(64) as never, [1, 1, 8, 8])).rejects.toThrow(/^input: must be a Float32Array/);
  });
});
