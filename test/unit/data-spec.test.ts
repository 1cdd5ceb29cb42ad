// Dataset specs: resolveDatasetSpec (lib/data.ts, the object the addon reads)
// and parseDataSpec (lib/cli/data-spec.ts, the CLI's --data strings).
import { DatasetSpec, FASHION_MNIST_DIR, resolveDatasetSpec } from '../../lib/data';
import { parseDataSpec } from '../../lib/cli/data-spec';
import { OptionError } from '../../lib/options';

const fails = (spec: unknown, field: string, message: string): void => {
  expect(() => resolveDatasetSpec(spec as DatasetSpec)).toThrow(new OptionError(field, message));
};

describe('resolveDatasetSpec', () => {
  test("'fashion-mnist' is the IDX reader on Debian's dataset package", () => {
    expect(resolveDatasetSpec('fashion-mnist')).toEqual({ type: 'idx', path: FASHION_MNIST_DIR, split: 'train', transforms: [] });
    expect(resolveDatasetSpec({ type: 'fashion-mnist', split: 'test' })).toMatchObject({ type: 'idx', split: 'test' });
  });

  test('defaults of each kind', () => {
    expect(resolveDatasetSpec({ type: 'cifar100', dir: '/c' })).toEqual({ type: 'cifar100', path: '/c', split: 'train', labels: 'fine', transforms: [] });
    expect(resolveDatasetSpec({ type: 'imagefolder', root: '/r' })).toEqual({ type: 'imagefolder', path: '/r', channels: 3, onBadSample: 'error', transforms: [] });
    expect(resolveDatasetSpec({ type: 'tiny-imagenet', dir: '/t', split: 'val', channels: 1 })).toMatchObject({ path: '/t', split: 'val', channels: 1 });
    expect(resolveDatasetSpec({ type: 'synthetic', size: 4 })).toEqual({ type: 'synthetic', transforms: [], size: 4, classes: 10, channels: 3, height: 32, width: 32, seed: 0 });
  });

  test('normalize presets become mean/std arrays; other transforms pass as given, sizes as lists', () => {
    const spec = resolveDatasetSpec({ type: 'cifar10', dir: '/d', transforms: [{ type: 'randomCrop', size: 32, padding: 4 }, { type: 'normalize', preset: 'cifar10' }] });
    // A size becomes the native list form: [s] (the shorter side for resize) or [h, w].
    expect(spec.transforms).toEqual([{ type: 'randomCrop', size: [32], padding: 4 }, { type: 'normalize', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] }]);
    expect(resolveDatasetSpec({ type: 'idx', dir: '/m', transforms: [{ type: 'normalize', mean: [0.5], std: [0.25] }] }).transforms).toEqual([{ type: 'normalize', mean: [0.5], std: [0.25] }]);
  });

  test('errors name the field and what is valid', () => {
    fails({ type: 'mnist' }, 'type', "unknown value 'mnist'; valid: fashion-mnist, idx, cifar10, cifar100, imagefolder, tiny-imagenet, synthetic");
    fails(null, 'spec', "must be 'fashion-mnist' or an object with a type (idx, cifar10, cifar100, imagefolder, tiny-imagenet, synthetic)");
    fails({ type: 'idx' }, 'dir', 'must be a directory path');
    fails({ type: 'imagefolder', dir: '/x' }, 'root', 'must be a directory path');
    fails({ type: 'imagefolder', root: '/r', channels: 2 }, 'channels', 'must be 1 or 3, got 2');
    fails({ type: 'cifar100', dir: '/d', labels: 'medium' }, 'labels', "unknown value 'medium'; valid: fine, coarse");
    fails({ type: 'tiny-imagenet', dir: '/d', split: 'test' }, 'split', "unknown value 'test'; valid: train, val");
    fails({ type: 'imagefolder', root: '/r', onBadSample: 'ignore' }, 'onBadSample', "unknown value 'ignore'; valid: error, skip");
    fails({ type: 'synthetic' }, 'size', 'must be an integer in [1, 10000000], got undefined');
  });

  test('transform errors are indexed', () => {
    const t = (transforms: unknown): unknown => ({ type: 'cifar10', dir: '/d', transforms });
    fails(t({}), 'transforms', 'must be an array of transform objects');
    fails(t([null]), 'transforms[0]', 'must be an object with a type');
    fails(t([{ type: 'hflip' }, { type: 'blur' }]), 'transforms[1].type', "unknown value 'blur'; valid: randomCrop, randomResizedCrop, resize, centerCrop, hflip, grayscaleToRgb, normalize");
    fails(t([{ type: 'resize', size: 0 }]), 'transforms[0].size', 'must be an integer in [1, 32768], got 0');
    fails(t([{ type: 'resize', size: [4, 0] }]), 'transforms[0].size[1]', 'must be an integer in [1, 32768], got 0');
    fails(t([{ type: 'resize', size: [1, 2, 3] }]), 'transforms[0].size', 'must be a number or [height, width]');
    fails(t([{ type: 'normalize' }]), 'transforms[0]', 'normalize needs a preset (imagenet, cifar10, fashion-mnist) or mean and std arrays of equal length');
    fails(t([{ type: 'normalize', preset: 'coco' }]), 'transforms[0].preset', "unknown value 'coco'; valid: imagenet, cifar10, fashion-mnist");
  });
});

describe('parseDataSpec (--data)', () => {
  test('fashion-mnist: crop + flip when augmenting, normalize always; 1 channel, 10 classes', () => {
    const c = parseDataSpec('fashion-mnist', { augment: true });
    expect(c).toEqual({
      train: { type: 'fashion-mnist', transforms: [{ type: 'randomCrop', size: 28, padding: 2 }, { type: 'hflip' }, { type: 'normalize', preset: 'fashion-mnist' }] },
      test: { type: 'fashion-mnist', split: 'test', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }] },
      channels: 1,
      classes: 10,
    });
    expect(parseDataSpec('fashion-mnist', { augment: false }).train).toEqual({ type: 'fashion-mnist', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }] });
  });

  test('cifar and idx take a directory', () => {
    expect(parseDataSpec('cifar100:/data/c100', { augment: true })).toMatchObject({ train: { type: 'cifar100', dir: '/data/c100' }, channels: 3, classes: 100 });
    expect(parseDataSpec('idx:/data/kmnist', { augment: false }).test).toEqual({ type: 'idx', dir: '/data/kmnist', split: 'test', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }] });
  });

  test('imagefolder: TRAIN_ROOT[:TEST_ROOT], 224 px unless --image-size; test images resized by 256/224', () => {
    const both = parseDataSpec('imagefolder:/a:/b', { augment: true });
    expect(both.train).toMatchObject({ root: '/a', transforms: [{ type: 'randomResizedCrop', size: 224 }, { type: 'hflip' }, { type: 'normalize', preset: 'imagenet' }] });
    expect(both.test).toEqual({ type: 'imagefolder', root: '/b', transforms: [{ type: 'resize', size: 256 }, { type: 'centerCrop', size: 224 }, { type: 'normalize', preset: 'imagenet' }] });
    expect(both.classes).toBeUndefined(); // from the folder scan
    expect(parseDataSpec('imagefolder:/a', { augment: false, imageSize: 96 })).toMatchObject({ train: { transforms: [{ type: 'resize', size: 96 }, { type: 'centerCrop', size: 96 }, {}] }, test: { root: '/a' } });
  });

  test('tiny-imagenet: 64 px, the val split as test, 200 classes', () => {
    expect(parseDataSpec('tiny-imagenet:/t', { augment: true })).toMatchObject({ test: { split: 'val', transforms: [{ type: 'resize', size: 73 }, { type: 'centerCrop', size: 64 }, {}] }, classes: 200 });
  });

  test('every spec it produces is one the library accepts', () => {
    for (const text of ['fashion-mnist', 'idx:/m', 'cifar10:/c', 'cifar100:/c', 'imagefolder:/a:/b', 'tiny-imagenet:/t']) {
      for (const augment of [true, false]) {
        const c = parseDataSpec(text, { augment });
        expect(() => resolveDatasetSpec(c.train)).not.toThrow();
        expect(() => resolveDatasetSpec(c.test)).not.toThrow();
      }
    }
  });

  test('errors', () => {
    expect(() => parseDataSpec('idx', { augment: true })).toThrow(new OptionError('data', "'idx' needs a path: idx:DIR"));
    expect(() => parseDataSpec('imagefolder:', { augment: true })).toThrow(new OptionError('data', "'imagefolder' needs a path: imagefolder:TRAIN_ROOT[:TEST_ROOT]"));
    expect(() => parseDataSpec('mnist', { augment: true })).toThrow(
      new OptionError('data', "unknown dataset 'mnist'; valid: fashion-mnist, idx:DIR, cifar10:DIR, cifar100:DIR, imagefolder:ROOT[:TEST_ROOT], tiny-imagenet:DIR"),
    );
  });
});
