// Weights move freely between senet-lab and PyTorch: torchvision state_dicts
// load with no renaming, our files load into torchvision strictly, and a seed
// gives the very weights torchvision builds after torch.manual_seed.
import * as fs from 'fs';
import * as path from 'path';
import { createModel, loadModel } from '../lib';
import { readFloat32File, tempDir, tensorBytes } from './helpers/files';
import { Reference, relativeError } from './helpers/reference';

describe('interop with torchvision', () => {
  const reference = new Reference();
  const dir = tempDir('interop');

  beforeAll(async () => {
    await reference.ready();
  });
  afterAll(() => {
    reference.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a torchvision resnet50(num_classes=37) state_dict saved as safetensors loads with no renaming', async () => {
    const weights = path.join(dir, 'tv50.safetensors');
    const input = path.join(dir, 'tv50.f32');
    const inputShape: [number, number, number, number] = [2, 3, 96, 96];
    const ref = await reference.call<{ logits: number[] }>({
      cmd: 'make_case', options: { arch: 'resnet50', numClasses: 37 }, metadata: false, weights, input, inputShape, seed: 50,
    });
    const model = createModel({ arch: 'resnet50', numClasses: 37 });
    await model.load(weights);
    const logits = await model.predict(readFloat32File(input), inputShape);
    expect(relativeError(logits, ref.logits)).toBeLessThanOrEqual(1e-5);
  });

  test('our save() loads into torchvision.models.resnet34 with strict=True and gives our logits', async () => {
    const weights = path.join(dir, 'ours34.safetensors');
    const model = createModel({ arch: 'resnet34', numClasses: 4, seed: 34 });
    await model.save(weights);
    const inputShape: [number, number, number, number] = [1, 3, 64, 64];
    const x = new Float32Array(3 * 64 * 64).map((_, i) => Math.sin(i / 7));
    const input = path.join(dir, 'ours34.f32');
    fs.writeFileSync(input, Buffer.from(x.buffer));
    const ours = await model.predict(x, inputShape);
    const back = await reference.call<{ logits: number[]; metadata: Record<string, string> }>({
      cmd: 'forward', options: { arch: 'resnet34', numClasses: 4 }, weights, input, inputShape,
    });
    expect(relativeError(ours, back.logits)).toBeLessThanOrEqual(1e-5);
    expect(back.metadata).toMatchObject({ format: 'pt', arch: 'resnet34', attention: 'none', num_classes: '4' });
  });

  test.each([
    ['resnet18', 'none'],
    ['resnet50', 'none'],
    ['resnet18', 'se'],
    ['resnet34', 'dual-add'],
    ['resnet50', 'eca'],
  ] as const)('seeded init of %s/%s equals torchvision after torch.manual_seed, bit for bit', async (arch, attention) => {
    const ours = path.join(dir, `seed-ours-${arch}-${attention}.safetensors`);
    const theirs = path.join(dir, `seed-theirs-${arch}-${attention}.safetensors`);
    const options = { arch, attention, numClasses: 100 };
    const model = createModel({ ...options, seed: 20261129 });
    await model.save(ours);
    await reference.call({ cmd: 'seeded_state', options, seed: 20261129, weights: theirs });
    const a = tensorBytes(ours);
    const b = tensorBytes(theirs);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    const differing = [...a.keys()].filter((k) => !a.get(k)!.bytes.equals(b.get(k)!.bytes));
    expect(differing).toEqual([]);
  });

  test('a file written by PyTorch with our metadata rebuilds itself with loadModel', async () => {
    const weights = path.join(dir, 'meta.safetensors');
    const input = path.join(dir, 'meta.f32');
    const options = { arch: 'resnet18', stem: 'cifar', attention: 'dual-mul', inChannels: 1, numClasses: 10, reduction: 8 };
    const ref = await reference.call<{ logits: number[] }>({ cmd: 'make_case', options, weights, input, inputShape: [4, 1, 28, 28], seed: 3 });
    const model = await loadModel(weights);
    expect(model.options).toMatchObject(options);
    expect(relativeError(await model.predict(readFloat32File(input), [4, 1, 28, 28]), ref.logits)).toBeLessThanOrEqual(1e-5);
  });
});
