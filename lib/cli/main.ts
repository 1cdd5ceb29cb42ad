#!/usr/bin/env node
// The senet-lab command line. Exit codes: 0 success, 1 run failure, 2 usage error.
import { Command, CommanderError } from 'commander';
import * as path from 'path';
import { ablate, ablationTables, comparisonTable } from './ablate';
import { dataset } from '../data';
import { loadModel } from '../model';
import { Arch, DistributedOptions, OptionError, launchedDistributed } from '../options';
import { recordedTrain } from './run';
import { TrainOptions, evaluate } from '../train';
import { ABLATE_FLAGS, RunConfig, TRAIN_FLAGS, addFlags, runConfig } from './config';
import { parseDataSpec } from './data-spec';
import { printInfo } from './info';
import { launchWorkers } from './launch';
import { TrainProgress, printTable } from './output';

/** Datasets, iterations (from --epochs) and model channels/classes (from the data) for a run. */
async function trainOptionsFrom(config: RunConfig): Promise<{ train: Omit<TrainOptions, 'model'>; model: Record<string, unknown> }> {
  const { app } = config;
  const data = parseDataSpec(app.data ?? 'fashion-mnist', { augment: app.augment ?? true, imageSize: app.imageSize });
  const testSpec = app.testData ? parseDataSpec(app.testData, { augment: false, imageSize: app.imageSize }).test : data.test;
  const [trainSet, testSet] = await Promise.all([dataset(data.train), dataset(testSpec)]);
  const train = { ...config.train } as Omit<TrainOptions, 'model' | 'data'>;
  if (train.batchSize === undefined && train.preset === undefined) train.batchSize = 64;
  if (app.epochs !== undefined) train.iterations = Math.max(1, Math.round((app.epochs * trainSet.size) / (train.batchSize ?? 8)));
  const model = {
    inChannels: data.channels,
    numClasses: data.classes ?? trainSet.numClasses,
    ...config.model,
  };
  return { train: { ...train, data: { train: trainSet, test: testSet } }, model };
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

/** `train --nproc N` / `--nnodes M`: this process starts the workers (each runs `train` without those flags). */
async function launchTraining(config: RunConfig): Promise<void> {
  if (launchedDistributed()) {
    throw new OptionError('nproc', 'this process is itself a distributed worker (RANK and WORLD_SIZE are set): start workers with --nproc, or start them yourself, not both');
  }
  const { nproc = 1, nnodes = 1, nodeRank = 0 } = config.app;
  if (nodeRank >= nnodes) throw new OptionError('nodeRank', `must be below nnodes ${nnodes}, got ${nodeRank}`);
  const dist = (config.train.distributed ?? {}) as DistributedOptions;
  if (nnodes > 1 && dist.masterAddr === undefined) throw new OptionError('masterAddr', 'is required with --nnodes > 1: the address of machine 0, which every machine can reach');
  const argv = process.argv.slice(2);
  // Every worker must write to the same run directory: fix the default name once, here.
  if (config.train.outDir === undefined && config.train.resume === undefined) argv.push('--out', defaultRunDir());
  process.exitCode = await launchWorkers(__filename, argv, {
    nproc, nnodes, nodeRank, masterAddr: dist.masterAddr ?? '127.0.0.1', masterPort: dist.masterPort ?? (nnodes > 1 ? 29500 : undefined),
    threads: config.train.threads as number | undefined, timeout: dist.timeout ?? 300,
  });
}

const defaultRunDir = (): string => path.join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`);

async function trainCommand(command: Command): Promise<void> {
  const config = runConfig(command, TRAIN_FLAGS);
  if ((config.app.nproc ?? 1) > 1 || (config.app.nnodes ?? 1) > 1) return launchTraining(config);
  // Started by --nproc, torchrun or a scheduler with torchrun's variables: one rank of a data-parallel run.
  if (launchedDistributed()) config.train.distributed = { ...(config.train.distributed as object) };
  const rank = config.train.distributed ? Number(process.env.RANK ?? (config.train.distributed as DistributedOptions).rank ?? 0) : 0;
  const { train, model } = await trainOptionsFrom(config);
  const outDir = train.resume ?? train.outDir ?? defaultRunDir();
  const controller = abortOnSignal();
  const name = `${model.arch ?? 'resnet18'} ${model.attention ?? 'none'}`;
  const seed = train.seed ?? 0;
  let progress: TrainProgress | undefined;
  const run = await recordedTrain(
    { ...train, model: { seed, ...model } as TrainOptions['model'], seed, outDir },
    {
      name,
      signal: controller.signal,
      onEvent: (e) => {
        if (rank !== 0) return; // rank 0 reports for the whole run
        progress ??= new TrainProgress(name, train.iterations ?? 1000, 0);
        progress.event(e);
      },
    },
  );
  progress?.stop();
  if (rank !== 0) return;
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

async function ablateCommand(command: Command): Promise<void> {
  const config = runConfig(command, ABLATE_FLAGS);
  // The main job's defaults: ResNet-18, the six seed variants, three seeds, a 7×7-stem recipe that fits 15 minutes here.
  const archs = (config.app.archs ?? ['resnet18']) as Arch[];
  const attentions = config.app.attentions ?? ['none', 'se', 'model1', 'model2', 'model3', 'model4'];
  const seeds = config.app.seeds ?? [1, 2, 3];
  const iterations = (config.train.iterations as number | undefined) ?? 300;
  const withDefaults: RunConfig = {
    ...config,
    train: {
      iterations, batchSize: 64, logEvery: Math.max(1, Math.floor(iterations / 6)), ...config.train,
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, ...(config.train.optimizer as object) },
      schedule: { type: 'cosine', warmupIterations: Math.floor(iterations / 20), ...(config.train.schedule as object) },
    },
  };
  const { train, model } = await trainOptionsFrom(withDefaults);
  const outDir = (config.train.outDir as string | undefined) ?? path.join('runs', 'ablation');
  const controller = abortOnSignal();
  let progress: TrainProgress | undefined;
  const total = archs.length * new Set(attentions).size * seeds.length;
  let index = 0;
  const result = await ablate({
    archs, attentions: attentions as never, seeds, outDir, train, model: model as never, signal: controller.signal,
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
  addFlags(cli.command('train').description('train one model (every train() option as a flag or in --config)'), TRAIN_FLAGS)
    .action((_flags, command: Command) => trainCommand(command));
  cli.command('eval').description('evaluate weights: top-1/top-5, per-class accuracy, confusion matrix')
    .option('--weights <file>', 'safetensors written by senet-lab')
    .option('--data <spec>', 'dataset (its test split is used)', 'fashion-mnist')
    .option('--image-size <n>', 'image side for imagefolder / tiny-imagenet')
    .option('--batch-size <n>', 'batch size')
    .option('--workers <n>', 'data loader threads')
    .option('--device <device>', 'cpu | cuda | cuda:N | auto')
    .option('--verbose', 'print stacks on errors')
    .action((flags) => evalCommand(flags));
  addFlags(cli.command('ablate').description('the seed experiment: archs × attentions × seeds, mean ± std and paired 95% CIs'), ABLATE_FLAGS)
    .action((_flags, command: Command) => ablateCommand(command));
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
      const fs = require('fs') as typeof import('fs');
      const script = path.join(__dirname, '..', '..', '..', 'bench', 'run.js');
      if (!fs.existsSync(script)) {
        throw new OptionError('bench', 'runs from a source checkout (its PyTorch reference is test/reference, which the npm package does not ship): ' +
          'git clone the repository, `bash scripts/setup.sh`, then `npm run bench`');
      }
      const args = [script];
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

