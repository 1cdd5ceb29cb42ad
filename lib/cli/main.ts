#!/usr/bin/env node
// The senet-lab command line. Exit codes: 0 success, 1 run failure, 2 usage error.
import { Command, CommanderError, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { ablate, ablationTables, comparisonTable } from './ablate';
import { dataset } from '../data';
import { loadModel } from '../model';
import { ARCHS, Arch, OptionError } from '../options';
import { recordedTrain } from './run';
import { TrainOptions, evaluate } from '../train';
import { RunConfig, validateRunConfig } from './config';
import { parseDataSpec } from './data-spec';
import { printInfo } from './info';
import { TrainProgress, printTable } from './output';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const numbers = (v: string): number[] => list(v).map(Number);

/** Flags shared by train and ablate, as strings; converted and validated by toConfig(). */
function addRunFlags(command: Command): Command {
  return command
    .option('--config <file>', 'JSON file with any of these options (flags override it)')
    .option('--data <spec>', 'fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | imagefolder:ROOT[:TEST_ROOT] | tiny-imagenet:DIR')
    .option('--no-augment', 'no training augmentation (crop + flip)')
    .option('--image-size <n>', 'image side for imagefolder / tiny-imagenet')
    .option('--stem <stem>', 'imagenet (7×7/2 + max-pool) | cifar (3×3/1)')
    .option('--reduction <r>', 'attention MLP reduction')
    .option('--device <device>', 'cpu | cuda | cuda:N | auto')
    .option('--preset <name>', 'seed: batch 8, 200k iterations, SGD 0.9, wd 1e-4, lr 0.01 → 0.001 at 100k')
    .option('--iterations <n>', 'training iterations')
    .option('--epochs <n>', 'training length in epochs (instead of --iterations)')
    .option('--batch-size <n>', 'batch size')
    .option('--optimizer <name>', 'sgd | adamw')
    .option('--lr <lr>', 'base learning rate')
    .option('--momentum <m>', 'SGD momentum')
    .option('--nesterov', 'Nesterov momentum')
    .option('--dampening <d>', 'SGD dampening')
    .option('--betas <b1,b2>', 'AdamW betas')
    .option('--eps <eps>', 'AdamW epsilon')
    .option('--zero-init-residual', 'zero the last BN of each residual branch')
    .option('--skip-non-finite', 'skip batches with a NaN/inf loss instead of failing')
    .option('--eval-batch-size <n>', 'evaluation batch size')
    .option('--keep-checkpoints <n>', 'checkpoints kept')
    .option('--prefetch <n>', 'batches ready ahead per loader worker')
    .option('--no-shuffle', 'keep the dataset order')
    .option('--no-drop-last', 'keep the last partial batch of each epoch')
    .option('--rank <n>', 'this process\'s shard (with --world-size)')
    .option('--world-size <n>', 'number of shards')
    .option('--weight-decay <wd>', 'weight decay')
    .option('--no-decay-norm-bias', 'no weight decay on BN parameters and biases')
    .option('--schedule <name>', 'constant | step | multistep | cosine')
    .option('--step-size <n>', 'step schedule: iterations between decays')
    .option('--milestones <list>', 'multistep schedule: iterations, comma-separated')
    .option('--gamma <g>', 'decay factor')
    .option('--final-lr <lr>', 'cosine schedule: final learning rate')
    .option('--warmup <n>', 'linear warmup iterations')
    .option('--label-smoothing <e>', 'cross-entropy label smoothing')
    .option('--log-every <n>', 'iterations between step events')
    .option('--eval-every <n>', 'iterations between evaluations (0: at the end)')
    .option('--checkpoint-every <n>', 'iterations between checkpoints (0: at the end)')
    .option('--threads <n>', 'intra-op threads (default: all cores)')
    .option('--workers <n>', 'data loader threads')
    .option('--amp <dtype>', 'CUDA mixed precision: bf16 | fp16 (default: off)')
    .option('--channels-last', 'channels_last model and batches (default: on for CUDA, off for CPU)')
    .option('--no-channels-last', 'keep the default NCHW layout')
    .option('--out <dir>', 'run directory')
    .option('--verbose', 'print stacks on errors');
}

const NUMERIC = ['imageSize', 'reduction', 'iterations', 'epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'stepSize', 'gamma', 'finalLr',
  'warmup', 'labelSmoothing', 'logEvery', 'evalEvery', 'checkpointEvery', 'threads', 'workers', 'seed', 'inChannels', 'numClasses',
  'dampening', 'eps', 'evalBatchSize', 'keepCheckpoints', 'prefetch', 'rank', 'worldSize'];
/** Flags whose default is true, given as --no-x: only an explicit --no-x counts. */
const NEGATABLE = ['augment', 'decayNormBias', 'shuffle', 'dropLast'];

function toConfig(flags: Record<string, unknown>, command: Command): RunConfig {
  let fileConfig: unknown = {};
  if (typeof flags.config === 'string') {
    let text: string;
    try {
      text = fs.readFileSync(flags.config, 'utf8');
    } catch (error) {
      throw new OptionError('config', `cannot read ${flags.config}: ${(error as Error).message}`);
    }
    try {
      fileConfig = JSON.parse(text);
    } catch (error) {
      throw new OptionError('config', `${flags.config} is not valid JSON: ${(error as Error).message}`);
    }
    validateRunConfig(fileConfig, flags.config);
  }
  const fromFlags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (key === 'config' || key === 'verbose' || value === undefined) continue;
    // Negated flags default to true; only an explicit --no-x counts.
    if (NEGATABLE.includes(key) && command.getOptionValueSource(key) === 'default') continue;
    if (key === 'decayNormBias') fromFlags.noDecayNormBias = value === false;
    else if (NUMERIC.includes(key)) {
      const n = Number(value);
      if (String(value).trim() === '' || Number.isNaN(n)) throw new OptionError(key, `must be a number, got '${value}'`);
      fromFlags[key] = n;
    } else if (key === 'milestones' || key === 'seeds' || key === 'betas') fromFlags[key] = numbers(String(value));
    else if (key === 'archs' || key === 'attentions') fromFlags[key] = list(String(value));
    else fromFlags[key] = value;
  }
  return validateRunConfig({ ...(fileConfig as object), ...fromFlags }, 'command line');
}

async function trainOptionsFrom(config: RunConfig): Promise<{ train: Omit<TrainOptions, 'model'>; model: Record<string, unknown> }> {
  const data = parseDataSpec(config.data ?? 'fashion-mnist', { augment: config.augment ?? true, imageSize: config.imageSize });
  const [trainSet, testSet] = await Promise.all([dataset(data.train), dataset(config.testData ? parseDataSpec(config.testData, { augment: false, imageSize: config.imageSize }).test : data.test)]);
  const batchSize = config.batchSize ?? (config.preset ? undefined : 64);
  const iterations = config.epochs !== undefined ? Math.max(1, Math.round((config.epochs * trainSet.size) / (batchSize ?? 8))) : config.iterations;
  const optimizerFields = {
    ...(config.lr !== undefined ? { lr: config.lr } : {}),
    ...(config.momentum !== undefined ? { momentum: config.momentum } : {}),
    ...(config.dampening !== undefined ? { dampening: config.dampening } : {}),
    ...(config.betas !== undefined ? { betas: config.betas } : {}),
    ...(config.eps !== undefined ? { eps: config.eps } : {}),
  };
  const optimizer = config.optimizer || Object.keys(optimizerFields).length || config.weightDecay !== undefined || config.nesterov || config.noDecayNormBias
    ? {
        type: config.optimizer ?? 'sgd',
        ...optimizerFields,
        ...(config.nesterov ? { nesterov: true } : {}),
        ...(config.weightDecay !== undefined ? { weightDecay: config.weightDecay } : {}),
        ...(config.noDecayNormBias ? { decayNormAndBias: false } : {}),
      }
    : undefined;
  const schedule = config.schedule || config.warmup !== undefined
    ? {
        type: config.schedule ?? 'constant',
        ...(config.stepSize !== undefined ? { stepSize: config.stepSize } : {}),
        ...(config.milestones ? { milestones: config.milestones } : {}),
        ...(config.gamma !== undefined ? { gamma: config.gamma } : {}),
        ...(config.finalLr !== undefined ? { finalLr: config.finalLr } : {}),
        ...(config.warmup !== undefined ? { warmupIterations: config.warmup } : {}),
      }
    : undefined;
  const train: Omit<TrainOptions, 'model'> = {
    data: { train: trainSet, test: testSet },
    ...(config.preset ? { preset: config.preset } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(optimizer ? { optimizer: optimizer as TrainOptions['optimizer'] } : {}),
    ...(schedule ? { schedule: schedule as TrainOptions['schedule'] } : {}),
    ...(config.labelSmoothing !== undefined ? { labelSmoothing: config.labelSmoothing } : {}),
    ...(config.logEvery !== undefined ? { logEvery: config.logEvery } : {}),
    ...(config.evalEvery !== undefined ? { evalEvery: config.evalEvery } : {}),
    ...(config.checkpointEvery !== undefined ? { checkpointEvery: config.checkpointEvery } : {}),
    ...(config.threads !== undefined ? { threads: config.threads } : {}),
    ...(config.workers !== undefined ? { workers: config.workers } : {}),
    ...(config.prefetch !== undefined ? { prefetch: config.prefetch } : {}),
    ...(config.skipNonFinite ? { skipNonFinite: true } : {}),
    ...(config.evalBatchSize !== undefined ? { evalBatchSize: config.evalBatchSize } : {}),
    ...(config.keepCheckpoints !== undefined ? { keepCheckpoints: config.keepCheckpoints } : {}),
    ...(config.shuffle !== undefined ? { shuffle: config.shuffle } : {}),
    ...(config.dropLast !== undefined ? { dropLast: config.dropLast } : {}),
    ...(config.amp !== undefined ? { amp: config.amp } : {}),
    ...(config.channelsLast !== undefined ? { channelsLast: config.channelsLast } : {}),
    ...(config.cudnnBenchmark !== undefined ? { cudnnBenchmark: config.cudnnBenchmark } : {}),
    ...(config.worldSize !== undefined || config.rank !== undefined ? { shard: { rank: config.rank ?? 0, worldSize: config.worldSize ?? 1 } } : {}),
  };
  const model = {
    inChannels: config.inChannels ?? data.channels,
    numClasses: config.numClasses ?? data.classes ?? trainSet.numClasses,
    ...(config.stem ? { stem: config.stem } : {}),
    ...(config.reduction ? { reduction: config.reduction } : {}),
    ...(config.device ? { device: config.device } : {}),
    ...(config.zeroInitResidual ? { zeroInitResidual: true } : {}),
  };
  return { train, model };
}

function abortOnSignal(): AbortController {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    console.error('\nstopping at the next step boundary (a checkpoint will be written; run again with --resume to continue) …');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller;
}

async function trainCommand(flags: Record<string, unknown>, command: Command): Promise<void> {
  const config = toConfig(flags, command);
  const { train, model } = await trainOptionsFrom(config);
  const outDir = config.resume ?? config.out ?? path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const controller = abortOnSignal();
  const name = `${config.arch ?? 'resnet18'} ${config.attention ?? 'none'}`;
  let progress: TrainProgress | undefined;
  const run = await recordedTrain(
    { ...train, model: { ...model, arch: config.arch, attention: config.attention, seed: config.seed ?? 0 } as TrainOptions['model'], seed: config.seed ?? 0, outDir, ...(config.resume ? { resume: config.resume } : {}) },
    {
      name,
      signal: controller.signal,
      onEvent: (e) => {
        progress ??= new TrainProgress(name, (train.iterations as number | undefined) ?? 1000, 0);
        progress.event(e);
      },
    },
  );
  progress?.stop();
  const s = run.summary;
  printTable(['run', 'top-1 %', 'top-5 %', 'loss', 'iterations', 'minutes', 'img/s'], [[
    s.name, s.top1?.toFixed(2) ?? '—', s.top5?.toFixed(2) ?? '—', s.loss?.toFixed(4) ?? '—', String(s.iterations), (s.wallSeconds / 60).toFixed(1), s.imagesPerSecond.toFixed(0),
  ]]);
  console.log(`\n${run.result.stopped ? 'stopped; resume with --resume ' + outDir : 'done'}: ${outDir} (report.html, results.json, metrics.jsonl, tensorboard/, model.safetensors)`);
}

async function evalCommand(flags: Record<string, string>): Promise<void> {
  if (!flags.weights) throw new OptionError('weights', 'is required: --weights w.safetensors');
  const model = await loadModel(flags.weights, { device: flags.device ?? 'cpu' });
  const choice = parseDataSpec(flags.data ?? 'fashion-mnist', { augment: false, imageSize: flags.imageSize ? Number(flags.imageSize) : undefined });
  const data = await dataset(choice.test);
  const r = await evaluate(model, data, { batchSize: flags.batchSize ? Number(flags.batchSize) : 256, workers: flags.workers ? Number(flags.workers) : 1 });
  printTable(['weights', 'samples', 'top-1 %', 'top-5 %', 'loss'], [[flags.weights, String(r.count), r.top1.toFixed(2), r.top5.toFixed(2), r.loss.toFixed(4)]]);
  printTable(['class', 'accuracy %', 'samples'], data.classNames.map((name, i) => [name, r.perClassAccuracy[i]?.toFixed(2) ?? '—', String(r.confusion[i]?.reduce((a, b) => a + b, 0) ?? 0)]), 'per-class accuracy');
  printTable(['true \\ predicted', ...data.classNames.map((_, i) => String(i))], r.confusion.map((row, i) => [`${i} ${data.classNames[i]}`, ...row.map(String)]), 'confusion matrix');
}

async function ablateCommand(flags: Record<string, unknown>, command: Command): Promise<void> {
  const config = toConfig(flags, command);
  // The main job's defaults: ResNet-18, the six seed variants, three seeds, a 7×7-stem recipe that fits 15 minutes here.
  const archs = (config.archs ?? ['resnet18']) as Arch[];
  const attentions = config.attentions ?? ['none', 'se', 'model1', 'model2', 'model3', 'model4'];
  const seeds = config.seeds ?? [1, 2, 3];
  const iterations = config.iterations ?? 300;
  const withDefaults: RunConfig = {
    iterations, batchSize: 64, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine',
    warmup: Math.floor(iterations / 20), logEvery: Math.max(1, Math.floor(iterations / 6)),
    ...config,
  };
  const { train, model } = await trainOptionsFrom(withDefaults);
  const outDir = config.out ?? path.join('runs', 'ablation');
  const controller = abortOnSignal();
  let progress: TrainProgress | undefined;
  const total = archs.length * new Set(attentions).size * seeds.length;
  let index = 0;
  const result = await ablate({
    archs, attentions: attentions as never, seeds, outDir, train, model, signal: controller.signal,
    onCell: (cell, status) => {
      if (status === 'done') console.log(`[${++index}/${total}] ${cell.arch} ${cell.attention} seed ${cell.seed}: already finished`);
      if (status === 'starting' || status === 'resuming') {
        console.log(`[${++index}/${total}] ${cell.arch} ${cell.attention} seed ${cell.seed}: ${status}`);
        progress = new TrainProgress(`${cell.attention} s${cell.seed}`, (train.iterations as number | undefined) ?? 1000);
      }
      if (status === 'finished') progress?.stop();
    },
    onEvent: (_cell, e) => progress?.event(e),
  });
  progress?.stop();
  for (const t of ablationTables(result.variants)) printTable(t.header, t.rows, t.title);
  const c = comparisonTable(result.comparisons);
  printTable(c.header, c.rows, c.title);
  console.log(`\n${result.stopped ? 'stopped (run the same command again to resume)' : 'done'}: ${outDir} (report.html, results.json, results.csv, cells/)`);
  if (result.stopped) process.exitCode = 1;
}

export function program(): Command {
  const cli = new Command('senet-lab')
    .description('ResNet + SE / avg-max channel attention on libtorch: train, evaluate, ablate')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  addRunFlags(cli.command('train').description('train one model (all train() options as flags or --config)'))
    .addOption(new Option('--arch <arch>', 'backbone').choices([...ARCHS]))
    .option('--attention <name>', 'none | se | avgmax-mul | avgmax-add | dual-mul | dual-add | cbam | eca | original | senet | model0..model4')
    .option('--seed <n>', 'seed for init and data order')
    .option('--resume <dir>', 'continue the run in this directory')
    .action((flags, command) => trainCommand(flags, command));
  cli.command('eval').description('evaluate weights: top-1/top-5, per-class accuracy, confusion matrix')
    .option('--weights <file>', 'safetensors written by senet-lab')
    .option('--data <spec>', 'dataset (its test split is used)', 'fashion-mnist')
    .option('--image-size <n>', 'image side for imagefolder / tiny-imagenet')
    .option('--batch-size <n>', 'batch size')
    .option('--workers <n>', 'data loader threads')
    .option('--device <device>', 'cpu | cuda | cuda:N | auto')
    .option('--verbose', 'print stacks on errors')
    .action((flags) => evalCommand(flags));
  addRunFlags(cli.command('ablate').description('the seed experiment: archs × attentions × seeds, mean ± std and paired 95% CIs'))
    .option('--archs <list>', 'comma-separated archs')
    .option('--attentions <list>', 'comma-separated attention names')
    .option('--seeds <list>', 'comma-separated seeds')
    .action((flags, command) => ablateCommand(flags, command));
  cli.command('info').description('libtorch, CUDA, threads, BLAS, datasets found').action(() => printInfo());
  cli
    .command('bench')
    .description('benchmarks against PyTorch eager / torchvision, measured in the same run (training, predict, N-API crossing, peak memory, loader)')
    .option('--quick', 'real sizes, fewer repetitions')
    .option('--smoke', 'tiny sizes, one repetition (checks the harness)')
    .option('--only <suites>', 'comma-separated: train, predict, memory, loader')
    .option('--out <dir>', 'where results/*.json and summary.md go (default bench/results)')
    .option('--pytorch-malloc', 'give PyTorch the same glibc malloc settings as senet-lab')
    .action((flags) => {
      const { spawnSync } = require('child_process') as typeof import('child_process');
      const args = [path.join(__dirname, '..', '..', '..', 'bench', 'run.js')];
      if (flags.quick) args.push('--quick');
      if (flags.smoke) args.push('--smoke');
      if (flags.pytorchMalloc) args.push('--pytorch-malloc');
      if (flags.only) args.push('--only', String(flags.only));
      if (flags.out) args.push('--out', path.resolve(String(flags.out)));
      const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    });
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // usage errors (commander printed them)
    const usage = error instanceof OptionError || (error as Error).name === 'OptionError';
    console.error(`senet-lab: ${(error as Error).message}`);
    if (verbose) console.error((error as Error).stack);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => process.exit(code));
}

