// Each command's own defaults, where they differ from the library's tables, by config key (the flag in
// camelCase). config.ts puts them on the commands' flags (so --help and docs/options.md show them) and fills
// them into a run's options; the library's defaults are the library's to apply. Two groups:
// - `run`: where the data comes from and where the run goes; they apply to every run of the command.
// - `recipe`: the command's training recipe. A --preset is a whole recipe and replaces it, and a resumed run
//   continues its checkpoint's. Optimizer fields belong to the recipe's `optimizer`: with another --optimizer
//   the run starts from that optimizer's library defaults, as a preset's optimizer does (resolveTrainSettings).
import * as path from 'path';
import { DEFAULT_CLAIM_TIMEOUT_MS } from '../ablation/claims';
import { derived } from '../options';

/** A new run's model takes its input channels and classes from the training data (the command supplies them). */
const FROM_DATA = {
  inChannels: derived("the data's channels", (option) => option('dataChannels')),
  numClasses: derived("the data's classes", (option) => option('dataClasses')),
};

export interface CommandDefaults {
  readonly run: Readonly<Record<string, unknown>>;
  readonly recipe: Readonly<Record<string, unknown>>;
}

/** A new train run's directory, named by its start time. */
export const timestampedRunDir = (): string => path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`);

/** `senet-lab train`: Fashion-MNIST, batch 64, a timestamped run directory (a resumed run writes where it was). */
export const TRAIN_COMMAND_DEFAULTS: CommandDefaults = {
  run: {
    data: 'fashion-mnist',
    ...FROM_DATA,
    out: derived('runs/train-<timestamp> (with --resume: that directory)', (option) => (option('resume') === undefined ? timestampedRunDir() : undefined)),
  },
  recipe: { batchSize: 64 },
};

/**
 * `senet-lab ablate` (the main job, `npm start`): ResNet-18, the six seed variants, three seeds, and a short
 * recipe (about a third of a Fashion-MNIST epoch per cell) — 300 iterations of batch 64, SGD lr 0.05 with weight
 * decay 5e-4, a cosine schedule after a warmup of a twentieth of the iterations, six step events per cell.
 */
export const ABLATE_COMMAND_DEFAULTS: CommandDefaults = {
  run: {
    data: 'fashion-mnist',
    ...FROM_DATA,
    archs: ['resnet18'],
    attentions: ['none', 'se', 'model1', 'model2', 'model3', 'model4'],
    seeds: [1, 2, 3],
    out: 'runs/ablation',
    claimTimeout: DEFAULT_CLAIM_TIMEOUT_MS / 1000,
  },
  recipe: {
    iterations: 300,
    batchSize: 64,
    logEvery: derived('iterations / 6', (option) => Math.max(1, Math.floor((option('iterations') as number) / 6))),
    optimizer: 'sgd',
    lr: 0.05,
    weightDecay: 5e-4,
    schedule: 'cosine',
    warmupIterations: derived('iterations / 20', (option) => Math.floor((option('iterations') as number) / 20)),
  },
};

/** `senet-lab eval`: the Fashion-MNIST test split. */
export const EVAL_COMMAND_DEFAULTS: CommandDefaults = { run: { data: 'fashion-mnist' }, recipe: {} };

/** `senet-lab export`: the library's defaults only. */
export const EXPORT_COMMAND_DEFAULTS: CommandDefaults = { run: {}, recipe: {} };
