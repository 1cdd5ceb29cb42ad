// `--data` strings → dataset specs with the usual transforms for each kind.
import { DatasetSpec, Transform } from '../data';
import { OptionError } from '../options';

export interface DataChoice {
  train: DatasetSpec;
  test: DatasetSpec;
  channels: number;
  classes?: number;
}

/**
 * fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | imagefolder:TRAIN_ROOT[:TEST_ROOT] | tiny-imagenet:DIR
 * `augment` adds the standard training augmentation of each kind.
 */
export function parseDataSpec(text: string, options: { augment: boolean; imageSize?: number }): DataChoice {
  const [kind, ...rest] = text.split(':');
  const location = rest.join(':');
  const need = (what: string): string => {
    if (!location) throw new OptionError('data', `'${kind}' needs a path: ${kind}:${what}`);
    return location;
  };
  const flipCrop = (size: number, padding: number): Transform[] =>
    options.augment ? [{ type: 'randomCrop', size, padding }, { type: 'hflip' }] : [];
  switch (kind) {
    case 'fashion-mnist':
    case 'idx': {
      const norm: Transform = { type: 'normalize', preset: 'fashion-mnist' };
      const base = kind === 'idx' ? { type: 'idx' as const, dir: need('DIR') } : { type: 'fashion-mnist' as const };
      return { train: { ...base, transforms: [...flipCrop(28, 2), norm] }, test: { ...base, split: 'test', transforms: [norm] }, channels: 1, classes: 10 };
    }
    case 'cifar10':
    case 'cifar100': {
      const dir = need('DIR');
      const norm: Transform = { type: 'normalize', preset: 'cifar10' };
      return {
        train: { type: kind, dir, transforms: [...flipCrop(32, 4), norm] },
        test: { type: kind, dir, split: 'test', transforms: [norm] },
        channels: 3,
        classes: kind === 'cifar10' ? 10 : 100,
      };
    }
    case 'imagefolder':
    case 'tiny-imagenet': {
      const size = options.imageSize ?? (kind === 'tiny-imagenet' ? 64 : 224);
      const norm: Transform = { type: 'normalize', preset: 'imagenet' };
      const trainTransforms: Transform[] = options.augment
        ? [{ type: 'randomResizedCrop', size }, { type: 'hflip' }, norm]
        : [{ type: 'resize', size }, { type: 'centerCrop', size }, norm];
      const testTransforms: Transform[] = [{ type: 'resize', size: Math.round((size * 256) / 224) }, { type: 'centerCrop', size }, norm];
      if (kind === 'tiny-imagenet') {
        const dir = need('DIR');
        return { train: { type: kind, dir, transforms: trainTransforms }, test: { type: kind, dir, split: 'val', transforms: testTransforms }, channels: 3, classes: 200 };
      }
      const [trainRoot, testRoot] = need('TRAIN_ROOT[:TEST_ROOT]').split(':');
      return { train: { type: kind, root: trainRoot, transforms: trainTransforms }, test: { type: kind, root: testRoot ?? trainRoot, transforms: testTransforms }, channels: 3 };
    }
    default:
      throw new OptionError('data', `unknown dataset '${kind}'; valid: fashion-mnist, idx:DIR, cifar10:DIR, cifar100:DIR, imagefolder:ROOT[:TEST_ROOT], tiny-imagenet:DIR`);
  }
}
