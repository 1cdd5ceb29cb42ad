// The data pipeline: formats, decoding and transforms against PIL/torchvision,
// deterministic loading, and bad data reported with the file at fault.
// Every fixture is written by the test itself.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { OptionError, Transform, createModel, dataset, evaluate, train } from '../lib';
import { tempDir } from './helpers/files';
import { Reference } from './helpers/reference';

const dir = tempDir('data');
const reference = new Reference();

beforeAll(async () => {
  await reference.ready();
});
afterAll(() => {
  reference.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function mkdir(...parts: string[]): string {
  const p = path.join(dir, ...parts);
  fs.mkdirSync(p, { recursive: true });
  return p;
}

function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function writeIdx(root: string, prefix: string, n: number, gzip: boolean): { images: Uint8Array; labels: Uint8Array } {
  const images = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 13) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);
  const write = (name: string, bytes: Buffer): void => fs.writeFileSync(path.join(root, gzip ? `${name}.gz` : name), gzip ? zlib.gzipSync(bytes) : bytes);
  write(`${prefix}-images-idx3-ubyte`, idxBytes(0x803, [n, 28, 28], images));
  write(`${prefix}-labels-idx1-ubyte`, idxBytes(0x801, [n], labels));
  return { images, labels };
}

describe('IDX (MNIST layout)', () => {
  test.each([true, false])('gzip=%s: sizes, classes, pixels and labels', async (gzip) => {
    const root = mkdir(`idx-${gzip}`);
    const { images, labels } = writeIdx(root, 'train', 30, gzip);
    writeIdx(root, 't10k', 12, gzip);
    const train = await dataset({ type: 'idx', dir: root });
    const test = await dataset({ type: 'idx', dir: root, split: 'test' });
    expect(train.size).toBe(30);
    expect(test.size).toBe(12);
    expect(train.imageShape).toEqual([1, 28, 28]);
    expect(train.classCounts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(train.classCounts[labels[5]]).toBeGreaterThan(0);
    const sample = train.sample(5);
    expect(sample.label).toBe(labels[5]);
    expect(Array.from(sample.image.slice(0, 50), (v) => Math.round(v * 255))).toEqual(Array.from(images.slice(5 * 784, 5 * 784 + 50)));
  });

  test('the Debian Fashion-MNIST install is the embedded default', async () => {
    const fashion = await dataset('fashion-mnist');
    expect(fashion.size).toBe(60000);
    expect(fashion.classNames[9]).toBe('Ankle boot');
    expect(fashion.classCounts).toEqual(Array(10).fill(6000));
    expect((await dataset({ type: 'fashion-mnist', split: 'test' })).size).toBe(10000);
  });

  test('a wrong magic number or a truncated file names the file and offset', async () => {
    const root = mkdir('idx-bad');
    writeIdx(root, 'train', 10, false);
    const imagesFile = path.join(root, 'train-images-idx3-ubyte');
    const good = fs.readFileSync(imagesFile);
    fs.writeFileSync(imagesFile, good.subarray(0, 16 + 5 * 784));
    await expect(dataset({ type: 'idx', dir: root })).rejects.toThrow(
      /train-images-idx3-ubyte: truncated IDX data: header promises 7840 bytes from offset 16 but the file has 3920/,
    );
    const bad = Buffer.from(good);
    bad.writeUInt32BE(0x00000804, 0);
    fs.writeFileSync(imagesFile, bad);
    await expect(dataset({ type: 'idx', dir: root })).rejects.toThrow(/wrong IDX magic number 0x804 at offset 0 \(expected 0x803\)/);
    fs.writeFileSync(path.join(root, 'train-labels-idx1-ubyte'), idxBytes(0x801, [9], new Uint8Array(9)));
    fs.writeFileSync(imagesFile, good);
    await expect(dataset({ type: 'idx', dir: root })).rejects.toThrow(/9 labels for 10 images/);
    fs.writeFileSync(path.join(root, 'train-images-idx3-ubyte.gz'), Buffer.from('not gzip at all'));
    fs.rmSync(imagesFile);
    await expect(dataset({ type: 'idx', dir: root })).rejects.toThrow(/wrong IDX magic number/);
  });
});

describe('CIFAR binary versions', () => {
  function cifarRecords(n: number, labelBytes: number, label: (i: number) => number[]): Buffer {
    const out = Buffer.alloc(n * (labelBytes + 3072));
    for (let i = 0; i < n; i++) {
      label(i).forEach((l, k) => (out[i * (labelBytes + 3072) + k] = l));
      for (let p = 0; p < 3072; p++) out[i * (labelBytes + 3072) + labelBytes + p] = (i * 31 + p) % 256;
    }
    return out;
  }

  test('CIFAR-10: five training batches, test batch, class names, CHW pixels', async () => {
    const root = mkdir('cifar10');
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(root, `data_batch_${b}.bin`), cifarRecords(4, 1, (i) => [(i + b) % 10]));
    fs.writeFileSync(path.join(root, 'test_batch.bin'), cifarRecords(3, 1, (i) => [i]));
    fs.writeFileSync(path.join(root, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
    const train = await dataset({ type: 'cifar10', dir: root });
    expect(train.size).toBe(20);
    expect(train.classNames[9]).toBe('truck');
    expect(train.imageShape).toEqual([3, 32, 32]);
    const s = train.sample(4 + 1); // batch 2, record 1
    expect(s.label).toBe((1 + 2) % 10);
    expect(Math.round(s.image[1024] * 255)).toBe((1 * 31 + 1024) % 256); // first green pixel
    expect((await dataset({ type: 'cifar10', dir: root, split: 'test' })).size).toBe(3);
  });

  test('CIFAR-100: fine and coarse labels', async () => {
    const root = mkdir('cifar100');
    fs.writeFileSync(path.join(root, 'train.bin'), cifarRecords(5, 2, (i) => [i % 20, (i * 17) % 100]));
    const fine = await dataset({ type: 'cifar100', dir: root });
    const coarse = await dataset({ type: 'cifar100', dir: root, labels: 'coarse' });
    expect(fine.numClasses).toBe(100);
    expect(coarse.numClasses).toBe(20);
    expect(fine.sample(3).label).toBe(51);
    expect(coarse.sample(3).label).toBe(3);
  });

  test('a truncated file and an out-of-range label name the file and offset', async () => {
    const root = mkdir('cifar-bad');
    fs.writeFileSync(path.join(root, 'test_batch.bin'), cifarRecords(3, 1, () => [1]).subarray(0, 3073 * 2 + 100));
    await expect(dataset({ type: 'cifar10', dir: root, split: 'test' })).rejects.toThrow(
      /test_batch.bin: size 6246 is not a multiple of the 3073-byte record \(truncated file\? record 2 at offset 6146 is incomplete\)/,
    );
    fs.writeFileSync(path.join(root, 'test_batch.bin'), cifarRecords(3, 1, (i) => [i === 2 ? 10 : 1]));
    await expect(dataset({ type: 'cifar10', dir: root, split: 'test' })).rejects.toThrow(/label 10 at offset 6146 is outside \[0, 9\]/);
    await expect(dataset({ type: 'cifar10', dir: root })).rejects.toThrow(/data_batch_1.bin: missing/);
  });
});

describe('ImageFolder: JPEG through libjpeg-turbo, PNG through libpng, as PIL decodes them', () => {
  let root: string;
  const files: { path: string; mode: string; format: string }[] = [];

  beforeAll(async () => {
    root = mkdir('folder');
    const specs = [
      ['b_dog', 'rgb.jpg', 'RGB', 'JPEG'], ['b_dog', 'gray.jpeg', 'L', 'JPEG'], ['b_dog', 'cmyk.JPG', 'CMYK', 'JPEG'],
      ['a_cat', 'rgb.png', 'RGB', 'PNG'], ['a_cat', 'rgba.png', 'RGBA', 'PNG'], ['a_cat', 'palette.png', 'P', 'PNG'],
      ['a_cat', 'sub/gray16.png', 'I;16', 'PNG'], ['a_cat', 'graya.png', 'LA', 'PNG'],
    ];
    const writes = specs.map(([cls, name, mode, format], i) => {
      const p = path.join(root, cls, name);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      files.push({ path: p, mode, format });
      return { path: p, mode, format, width: 37 + i, height: 23 + 2 * i, seed: i };
    });
    fs.writeFileSync(path.join(root, 'a_cat', 'notes.txt'), 'not an image');
    // 8-bit twin of the 16-bit PNG (same seed and size): its pixels are the 16-bit image's high bytes.
    writes.push({ path: path.join(dir, 'gray16-twin.png'), mode: 'L', format: 'PNG', width: 37 + 6, height: 23 + 12, seed: 6 });
    await reference.call({ cmd: 'write_images', specs: writes });
  });

  test('classes sorted as torchvision sorts them, files in os.walk order, per-class counts', async () => {
    const ds = await dataset({ type: 'imagefolder', root, transforms: [{ type: 'resize', size: [20, 20] }] });
    expect(ds.classNames).toEqual(['a_cat', 'b_dog']);
    expect(ds.classCounts).toEqual([5, 3]);
    expect(ds.imageShape).toEqual([3, 0, 0]); // sizes vary
    expect(ds.sampleShape).toEqual([3, 20, 20]);
  });

  test('images of different sizes need a sizing transform', async () => {
    await expect(dataset({ type: 'imagefolder', root })).rejects.toThrow(/images differ in size; add a resize, centerCrop or randomResizedCrop/);
  });

  test.each([3, 1] as const)('decoded pixels equal PIL convert() for every format and mode (channels %d)', async (channels) => {
    const ds = await dataset({ type: 'imagefolder', root, channels, transforms: [{ type: 'centerCrop', size: [64, 64] }] });
    // Order: a_cat/graya.png, palette.png, rgb.png, rgba.png, sub/gray16.png, b_dog/cmyk.JPG, gray.jpeg, rgb.jpg
    const ordered = ['a_cat/graya.png', 'a_cat/palette.png', 'a_cat/rgb.png', 'a_cat/rgba.png', 'a_cat/sub/gray16.png', 'b_dog/cmyk.JPG', 'b_dog/gray.jpeg', 'b_dog/rgb.jpg'];
    for (let i = 0; i < ordered.length; i++) {
      // PIL clips 16-bit grayscale to 255 when converting (a known PIL quirk); we keep the high byte, as it does for 16-bit RGB.
      const source = ordered[i].endsWith('gray16.png') ? path.join(dir, 'gray16-twin.png') : path.join(root, ordered[i]);
      const ref = await reference.call<{ shape: number[]; values: number[] }>({
        cmd: 'transform', path: source, mode: channels === 3 ? 'RGB' : 'L', ops: [{ type: 'centerCrop', size: [64, 64] }],
      });
      const ours = ds.sample(i);
      expect({ file: ordered[i], shape: ours.shape }).toEqual({ file: ordered[i], shape: ref.shape });
      let worst = 0;
      ours.image.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - ref.values[k]) * 255)));
      expect({ file: ordered[i], worst: Math.round(worst) }).toEqual({ file: ordered[i], worst: 0 });
    }
  });

  test('resize (antialiased bilinear), center crop, flip and normalize equal torchvision.transforms.functional', async () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const ds = await dataset({
      type: 'imagefolder', root,
      transforms: [{ type: 'resize', size: 17 }, { type: 'centerCrop', size: [15, 13] }, { type: 'hflip', p: 1 }, { type: 'normalize', preset: 'imagenet' }],
    });
    for (const i of [2, 7]) {
      const file = i === 2 ? 'a_cat/rgb.png' : 'b_dog/rgb.jpg';
      const ref = await reference.call<{ shape: number[]; values: number[] }>({
        cmd: 'transform', path: path.join(root, file), mode: 'RGB',
        ops: [{ type: 'resize', size: 17 }, { type: 'centerCrop', size: [15, 13] }, { type: 'hflip' }, { type: 'normalize', mean, std }],
      });
      const ours = ds.sample(i);
      expect(ours.shape).toEqual(ref.shape);
      let worst = 0;
      ours.image.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - ref.values[k]))));
      // uint8 rounding after resize may differ by one level where float sums tie: ≤ 1/255 / std.
      expect(worst).toBeLessThanOrEqual(1 / 255 / 0.224 + 1e-5);
    }
  });

  test('corrupt, unreadable and empty: errors name the file; onBadSample skip counts them', async () => {
    const bad = mkdir('folder-bad');
    fs.cpSync(root, bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'b_dog', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    fs.writeFileSync(path.join(bad, 'b_dog', 'text.png'), 'this is text with a png name');
    await expect(dataset({ type: 'imagefolder', root: bad, transforms: [{ type: 'resize', size: [8, 8] }] })).rejects.toThrow(
      /b_dog\/broken.jpg: cannot decode image: .*\(pass onBadSample: 'skip' to drop such files\)/,
    );
    const skipped = await dataset({ type: 'imagefolder', root: bad, onBadSample: 'skip', transforms: [{ type: 'resize', size: [8, 8] }] });
    expect(skipped.skipped).toBe(2);
    expect(skipped.size).toBe(8);
    expect(skipped.skippedExamples.join('\n')).toMatch(/text.png: cannot decode image: not a JPEG or PNG file/);
    mkdir('folder-bad', 'c_empty');
    await expect(dataset({ type: 'imagefolder', root: bad, onBadSample: 'skip', transforms: [{ type: 'resize', size: [8, 8] }] })).rejects.toThrow(
      /c_empty: class directory has no .jpg\/.jpeg\/.png files/,
    );
    await expect(dataset({ type: 'imagefolder', root: path.join(dir, 'nowhere') })).rejects.toThrow(/nowhere: is not a directory/);
  });
});

describe('Tiny ImageNet layout', () => {
  test('train/<wnid>/images, val/images + val_annotations.txt, wnids.txt', async () => {
    const root = mkdir('tiny');
    const wnids = ['n02', 'n01'];
    fs.writeFileSync(path.join(root, 'wnids.txt'), wnids.join('\n') + '\n');
    const specs: object[] = [];
    wnids.forEach((w, c) => {
      mkdir('tiny', 'train', w, 'images');
      for (let k = 0; k < 2; k++) specs.push({ path: path.join(root, 'train', w, 'images', `${w}_${k}.JPEG`), mode: 'RGB', format: 'JPEG', width: 64, height: 64, seed: c * 10 + k });
    });
    mkdir('tiny', 'val', 'images');
    specs.push({ path: path.join(root, 'val', 'images', 'val_0.JPEG'), mode: 'RGB', format: 'JPEG', width: 64, height: 64, seed: 99 });
    specs.push({ path: path.join(root, 'val', 'images', 'val_1.JPEG'), mode: 'L', format: 'JPEG', width: 64, height: 64, seed: 98 });
    fs.writeFileSync(path.join(root, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn02\t0\t0\t10\t10\nval_1.JPEG\tn01\t1\t1\t5\t5\n');
    await reference.call({ cmd: 'write_images', specs });
    const train = await dataset({ type: 'tiny-imagenet', dir: root });
    const val = await dataset({ type: 'tiny-imagenet', dir: root, split: 'val' });
    expect(train.classNames).toEqual(['n01', 'n02']);
    expect(train.size).toBe(4);
    expect(train.imageShape).toEqual([3, 64, 64]);
    expect(val.size).toBe(2);
    expect([val.sample(0).label, val.sample(1).label]).toEqual([1, 0]);
    fs.appendFileSync(path.join(root, 'val', 'val_annotations.txt'), 'val_2.JPEG\tn99\t0\t0\t1\t1\n');
    await expect(dataset({ type: 'tiny-imagenet', dir: root, split: 'val' })).rejects.toThrow(/val_annotations.txt: line 3 names unknown class 'n99'/);
  });
});

describe('transforms and the loader', () => {
  const augment: Transform[] = [
    { type: 'randomResizedCrop', size: 20, scale: [0.3, 1] },
    { type: 'hflip' },
    { type: 'normalize', preset: 'fashion-mnist' },
  ];

  test('random choices depend only on (seed, epoch, index)', async () => {
    const ds = await dataset({ type: 'fashion-mnist', split: 'test', transforms: augment });
    expect(ds.sampleShape).toEqual([1, 20, 20]);
    const a = ds.sample(7, { seed: 1, epoch: 2 });
    expect(Array.from(ds.sample(7, { seed: 1, epoch: 2 }).image)).toEqual(Array.from(a.image));
    expect(Array.from(ds.sample(7, { seed: 1, epoch: 3 }).image)).not.toEqual(Array.from(a.image));
    expect(Array.from(ds.sample(7, { seed: 2, epoch: 2 }).image)).not.toEqual(Array.from(a.image));
  });

  test('batches are identical for 0, 1 and 3 workers, and reshuffle each epoch', async () => {
    const ds = await dataset({ type: 'fashion-mnist', split: 'test', transforms: [{ type: 'randomCrop', size: 28, padding: 4 }, { type: 'hflip' }] });
    const batches = await Promise.all([0, 1, 3].map((workers) => ds.batch({ batchSize: 16, seed: 4, workers }, 630, 3)));
    expect(batches[1].labels).toEqual(batches[0].labels);
    expect(Array.from(batches[1].images)).toEqual(Array.from(batches[0].images));
    expect(Array.from(batches[2].images)).toEqual(Array.from(batches[0].images));
    const first = await ds.batch({ batchSize: 16, seed: 4 }, 0);
    const nextEpoch = await ds.batch({ batchSize: 16, seed: 4 }, 625); // 10000 / 16 = 625 steps per epoch
    expect(nextEpoch.labels).not.toEqual(first.labels);
  });

  test('shard(rank, worldSize) gives disjoint slices that cover the data', async () => {
    const ds = await dataset({ type: 'fashion-mnist', split: 'test' });
    const labelsOf = async (rank: number): Promise<number[]> => {
      const b = await ds.batch({ batchSize: 5000, seed: 1, rank, worldSize: 2 }, 0);
      return b.labels;
    };
    const [a, b] = await Promise.all([labelsOf(0), labelsOf(1)]);
    expect(a.length).toBe(5000);
    const counts = Array(10).fill(0);
    [...a, ...b].forEach((l) => counts[l]++);
    expect(counts).toEqual(Array(10).fill(1000)); // each sample exactly once
    await expect(ds.batch({ batchSize: 5, rank: 2, worldSize: 2 }, 0)).rejects.toThrow(/rank must be in \[0, worldSize\)/);
  });

  test('bad transform options are named', async () => {
    await expect(dataset({ type: 'fashion-mnist', transforms: [{ type: 'rotate' } as never] })).rejects.toThrow(OptionError);
    await expect(dataset({ type: 'fashion-mnist', transforms: [{ type: 'rotate' } as never] })).rejects.toThrow(/transforms\[0\].type: unknown value 'rotate'/);
    await expect(dataset({ type: 'fashion-mnist', transforms: [{ type: 'normalize', preset: 'imagenet' }] })).rejects.toThrow(/normalize has 3 means for 1 channels/);
    await expect(dataset({ type: 'fashion-mnist', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }, { type: 'hflip' }] })).rejects.toThrow(/normalize must be the last transform/);
    await expect(dataset({ type: 'cifar10' } as never)).rejects.toThrow(/dir: must be a directory path/);
    await expect(dataset({ type: 'mnist' } as never)).rejects.toThrow(/type: unknown value 'mnist'; valid: fashion-mnist, idx, cifar10/);
    await expect(dataset({ type: 'synthetic' } as never)).rejects.toThrow(/size: must be an integer/);
  });
});

describe('synthetic data', () => {
  test('deterministic in its seed, balanced, learnable', async () => {
    const spec = { type: 'synthetic', size: 64, classes: 4, channels: 1, height: 12, width: 12, seed: 3 } as const;
    const a = await dataset(spec);
    const b = await dataset(spec);
    expect(a.classCounts).toEqual([16, 16, 16, 16]);
    expect(a.imageShape).toEqual([1, 12, 12]);
    expect(Array.from(a.sample(5).image)).toEqual(Array.from(b.sample(5).image));
    expect(Array.from((await dataset({ ...spec, seed: 4 })).sample(5).image)).not.toEqual(Array.from(a.sample(5).image));
    const result = await train({
      model: { arch: 'resnet18', stem: 'cifar', inChannels: 1, numClasses: 4, seed: 1 },
      data: { train: a, test: await dataset({ ...spec, size: 32, seed: 9 }) }, iterations: 30, batchSize: 8, optimizer: { type: 'sgd', lr: 0.01 },
    });
    expect(result.finalEval!.top1).toBeGreaterThanOrEqual(75); // chance: 25
  });
});

describe('train() and evaluate() on datasets', () => {
  test('Fashion-MNIST through the threaded loader: a short run learns', async () => {
    const trainSet = await dataset({ type: 'fashion-mnist', transforms: [{ type: 'hflip' }, { type: 'normalize', preset: 'fashion-mnist' }] });
    const testSet = await dataset({ type: 'fashion-mnist', split: 'test', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }] });
    const model = createModel({ arch: 'resnet18', inChannels: 1, numClasses: 10, seed: 1 });
    const result = await train({ model, data: { train: trainSet }, iterations: 60, batchSize: 32, workers: 2, optimizer: { type: 'sgd', lr: 0.05 }, seed: 1 });
    expect(result.iterations).toBe(60);
    const metrics = await evaluate(model, testSet, { batchSize: 500, workers: 1 });
    expect(metrics.count).toBe(10000);
    expect(metrics.top1).toBeGreaterThan(30); // chance: 10
    const wrong = createModel({ arch: 'resnet18', inChannels: 3, numClasses: 10 });
    await expect(evaluate(wrong, testSet)).rejects.toThrow(/data: gives 1-channel samples but the model expects 3/);
    const few = createModel({ arch: 'resnet18', inChannels: 1, numClasses: 5 });
    await expect(train({ model: few, data: { train: trainSet }, iterations: 1 })).rejects.toThrow(/data.train: has 10 classes but the model has numClasses 5/);
  });
});
