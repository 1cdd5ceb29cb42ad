#!/usr/bin/env node
// The senet-lab command line. Exit codes: 0 success, 1 run failure, 2 usage error.
import { Command, CommanderError } from 'commander';
import * as path from 'path';
import { AblationCell, AblationOptions, AblationResult, ablate, ablationReport, ablationTables, cellName, cellsOf, comparisonTable, finishedSummary, ownerName } from '../ablation/ablate';
import { estimateGrid, formatDuration } from '../ablation/estimate';
import { GridEta } from '../ablation/grid-eta';
import { runtimeInfo } from '../runtime';
import { dataset } from '../data';
import { loadModel } from '../model';
import {
  Arch, CliOption, DistributedOptions, MODEL_DEFAULTS, OptionError, ResumePoint, TRAIN_DEFAULTS, distributedOptionTable, launchedDistributed, presetNamed, resolveDistributed, resolveExportOnnxOptions,
} from '../options';
import { recordedTrain } from '../record/recorded-train';
import { recordRunConfig, resumedRunConfig } from './resume';
import { TrainOptions, evaluate } from '../train';
import { ABLATE_FLAGS, EVAL_FLAGS, EXPORT_FLAGS, RunConfig, TRAIN_FLAGS, addFlags, flatConfig, runConfig, withCommandDefaults } from './config';
import { ABLATE_COMMAND_DEFAULTS, CommandDefaults, EVAL_COMMAND_DEFAULTS, TRAIN_COMMAND_DEFAULTS } from './defaults';
import { parseDataSpec } from './data-spec';
import { printInfo } from './info';
import { launchWorkers } from './launch';
import { parallelCellTrainer } from '../ablation/parallel-cells';
import { TrainProgress, printTable } from './output';

/** A run's options: the command line's, with the command's defaults; datasets and model options made from them. */
interface RunOptions {
  config: RunConfig;
  train: Omit<TrainOptions, 'model'>;
  model: Record<string, unknown>;
  /** For the progress display. */
  iterations: number;
}

/**
 * Datasets, iterations (from --epochs) and model channels/classes (from the data) for a run, with the command's
 * defaults. A resumed run (`point`) takes its batch size, iterations and model from the checkpoint; only what was
 * given goes to train(), which checks it against the checkpoint.
 */
async function runOptionsFrom(given: RunConfig, defaults: CommandDefaults, flags: CliOption[], point?: ResumePoint): Promise<RunOptions> {
  const preset = given.train.preset === undefined ? undefined : presetNamed(given.train.preset);
  let config = withCommandDefaults(given, flags, defaults, { derived: false, fromCheckpoint: point !== undefined });
  const { app } = config;
  const data = parseDataSpec(app.data as string, { augment: app.augment as boolean, imageSize: app.imageSize });
  const testSpec = app.testData ? parseDataSpec(app.testData, { augment: false, imageSize: app.imageSize }).test : data.test;
  const [trainSet, testSet] = await Promise.all([dataset(data.train), dataset(testSpec)]);
  if (app.epochs !== undefined) {
    const batchSize = (config.train.batchSize as number | undefined) ?? preset?.train.batchSize ?? point?.settings.batchSize ?? TRAIN_DEFAULTS.batchSize;
    config.train.iterations = Math.max(1, Math.round((app.epochs * trainSet.size) / batchSize));
  }
  // A new run's model takes its channels and classes from the data; a resumed one is the checkpoint's.
  const context = point ? {} : { dataChannels: data.channels, dataClasses: data.classes ?? trainSet.numClasses };
  config = withCommandDefaults(config, flags, defaults, { derived: true, fromCheckpoint: point !== undefined, context });
  const train = { ...config.train } as Omit<TrainOptions, 'model' | 'data'>;
  // The preset's model under the flags, as train() applies it; spelled out here so that an ablation's recorded
  // grid names the model its cells train.
  const model = point ? { ...config.model } : { ...preset?.model, ...config.model };
  const iterations = train.iterations ?? preset?.train.iterations ?? point?.settings.iterations ?? TRAIN_DEFAULTS.iterations;
  return { config, train: { ...train, data: { train: trainSet, test: testSet } }, model, iterations };
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
  const { outDir } = withCommandDefaults(config, TRAIN_FLAGS, TRAIN_COMMAND_DEFAULTS, { derived: true }).train;
  if (config.train.outDir === undefined && outDir !== undefined) argv.push('--out', outDir as string);
  process.exitCode = await launchWorkers(__filename, argv, {
    nproc, nnodes, nodeRank,
    masterAddr: dist.masterAddr ?? distributedOptionTable.masterAddr.default!,
    // One machine: the launcher picks a free port unless one is given.
    masterPort: dist.masterPort ?? (nnodes > 1 ? distributedOptionTable.masterPort.default : undefined),
    threads: config.train.threads as number | undefined, timeout: dist.timeout ?? distributedOptionTable.timeout.default!,
  });
}

/**
 * A library OptionError names an options field (`optimizer.momentum`, `model.arch`); on the command line the
 * error names the flag's config key instead (`momentum`, `arch`).
 */
async function asFlagError<T>(work: Promise<T>, flags: CliOption[]): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    const flag = flags.find((o) => [o.target.slice(1).join('.'), o.target.join('.')].includes(error.field));
    if (!flag || flag.name === error.field) throw error;
    throw new OptionError(flag.name, error.message.slice(error.field.length + 2));
  }
}

async function trainCommand(command: Command): Promise<void> {
  const config = runConfig(command, TRAIN_FLAGS);
  if ((config.app.nproc ?? 1) > 1 || (config.app.nnodes ?? 1) > 1) return launchTraining(config);
  // Started by --nproc, torchrun or a scheduler with torchrun's variables: one rank of a data-parallel run.
  if (launchedDistributed()) config.train.distributed = { ...(config.train.distributed as object) };
  const rank = config.train.distributed ? resolveDistributed(config.train.distributed).rank : 0;
  // --resume DIR alone continues the run: the data flags come from the run's config record, the rest from its checkpoint.
  const point = config.train.resume === undefined ? undefined : resumedRunConfig(config, config.train.resume as string, rank);
  const { train, model, iterations } = await runOptionsFrom(config, TRAIN_COMMAND_DEFAULTS, TRAIN_FLAGS, point);
  const outDir = (train.outDir ?? train.resume) as string;
  if (rank === 0) recordRunConfig(outDir, config, point !== undefined);
  const controller = abortOnSignal();
  const described = point ? { ...point.model, ...model } : model;
  const name = `${described.arch ?? MODEL_DEFAULTS.arch} ${described.attention ?? MODEL_DEFAULTS.attention}`;
  // A new run: --seed seeds the weights and the data order. A resumed one: the checkpoint's weights and order.
  const seed = point ? train.seed : (train.seed ?? TRAIN_DEFAULTS.seed);
  let progress: TrainProgress | undefined;
  const run = await asFlagError(recordedTrain(
    { ...train, model: (point ? model : { seed, ...model }) as TrainOptions['model'], ...(seed === undefined ? {} : { seed }), outDir },
    {
      name,
      signal: controller.signal,
      onEvent: (e) => {
        if (rank !== 0) return; // rank 0 reports for the whole run
        progress ??= new TrainProgress(name, iterations, 0);
        progress.event(e);
      },
    },
  ), TRAIN_FLAGS);
  progress?.stop();
  if (rank !== 0) return;
  const s = run.summary;
  printTable(['run', 'top-1 %', 'top-5 %', 'loss', 'iterations', 'minutes', 'img/s'], [[
    s.name, s.top1?.toFixed(2) ?? '—', s.top5?.toFixed(2) ?? '—', s.loss?.toFixed(4) ?? '—', String(s.iterations), (s.wallSeconds / 60).toFixed(1), s.imagesPerSecond.toFixed(0),
  ]]);
  console.log(`\n${run.result.stopped ? 'stopped; resume with --resume ' + outDir : 'done'}: ${outDir} (report.html, results.json, metrics.jsonl, tensorboard/, model.safetensors)`);
}

async function evalCommand(command: Command): Promise<void> {
  const { app, model: modelFlags, evaluate: options } = withCommandDefaults(runConfig(command, EVAL_FLAGS), EVAL_FLAGS, EVAL_COMMAND_DEFAULTS, { derived: false });
  if (!app.weights) throw new OptionError('weights', 'is required: --weights w.safetensors');
  const model = await loadModel(app.weights, { device: (modelFlags.device as string | undefined) ?? MODEL_DEFAULTS.device });
  const choice = parseDataSpec(app.data as string, { augment: false, imageSize: app.imageSize });
  const data = await dataset(choice.test);
  const r = await evaluate(model, data, options ?? {});
  printTable(['weights', 'samples', 'top-1 %', 'top-5 %', 'loss'], [[app.weights, String(r.count), r.top1.toFixed(2), r.top5.toFixed(2), r.loss.toFixed(4)]]);
  printTable(['class', 'accuracy %', 'samples'], data.classNames.map((name, i) => [name, r.perClassAccuracy[i]?.toFixed(2) ?? '—', String(r.confusion[i]?.reduce((a, b) => a + b, 0) ?? 0)]), 'per-class accuracy');
  printTable(['true \\ predicted', ...data.classNames.map((_, i) => String(i))], r.confusion.map((row, i) => [`${i} ${data.classNames[i]}`, ...row.map(String)]), 'confusion matrix');
}

async function exportCommand(command: Command): Promise<void> {
  const { app, export: options } = runConfig(command, EXPORT_FLAGS);
  if (!app.weights) throw new OptionError('weights', 'is required: --weights w.safetensors');
  if (!app.onnx) throw new OptionError('onnx', 'is required: --onnx out.onnx');
  const settings = resolveExportOnnxOptions(options ?? {}); // usage errors before any loading
  const model = await loadModel(app.weights);
  try {
    await model.exportOnnx(app.onnx, settings);
  } finally {
    model.dispose();
  }
  const { arch, attention, stem, inChannels, numClasses } = model.options;
  console.log(`wrote ${app.onnx}: ${arch}, attention ${attention}, stem ${stem}; input 'input' [N, ${inChannels}, H, W] float32 → output 'logits' [N, ${numClasses}]`);
}

/** The ablate command's closing lines: the tables, then what is finished and what is not. */
function printAblation(result: AblationResult, outDir: string, worker: boolean): void {
  for (const t of ablationTables(result.variants)) printTable(t.header, t.rows, t.title);
  const c = comparisonTable(result.comparisons);
  printTable(c.header, c.rows, c.title);
  if (result.comparisons.some((x) => x.n >= 2)) console.log(c.note);
  const files = `${outDir} (report.html, results.json, results.csv, cells/)`;
  if (result.stopped) {
    console.log(`\nstopped (run the same command again to resume): ${files}`);
    return;
  }
  if (result.pending.length === 0) {
    console.log(`\ndone: ${files}`);
    return;
  }
  const ago = (ms: number | undefined): string => (ms === undefined ? '' : `, heartbeat ${(ms / 1000).toFixed(0)} s ago`);
  const training = result.pending.filter((p) => p.owner);
  const idle = result.pending.filter((p) => !p.owner);
  console.log(`\n${result.cells.length} of ${result.total} cells finished${worker ? '; nothing left for this run to claim' : ''}`);
  if (training.length) console.log(`still being trained by others: ${training.map((p) => `${cellName(p.cell)} (${ownerName(p.owner)}${ago(p.heartbeatAgeMs)})`).join(', ')}`);
  if (idle.length) console.log(`missing, not being trained: ${idle.map((p) => cellName(p.cell)).join(', ')} (run the ablate command on this directory to train them)`);
  console.log(`${worker ? 'partial results' : 'written'}: ${files}${training.length ? `; the last run to finish writes the complete report, \`senet-lab ablate --report ${outDir}\` rebuilds it any time` : ''}`);
}

/** `ablate --estimate`: the expected wall time of the grid's unfinished cells on this machine; nothing is trained or written. */
async function printEstimate(options: AblationOptions): Promise<void> {
  console.log(`timing a few steps per variant (${runtimeInfo().threads} threads) …`);
  const estimate = await estimateGrid(options);
  printTable(
    ['arch', 'variant', 's/step', 'img/s', 'eval ms/img', 'per cell', 'cells left', 'total'],
    estimate.variants.map((v) => {
      const batch = (options.train.batchSize as number | undefined) ?? 0;
      return [v.arch, v.attention, v.stepSeconds.toFixed(3), batch ? (batch / v.stepSeconds).toFixed(0) : '—', (1000 * v.evalSecondsPerImage).toFixed(2),
        formatDuration(v.cellSeconds), String(v.cellsLeft), formatDuration(v.cellSeconds * v.cellsLeft)];
    }),
    'expected wall time on this machine',
  );
  console.log(`\n${estimate.cellsLeft} of ${estimate.totalCells} cells to train: about ${formatDuration(estimate.totalSeconds)} for one worker ` +
    `(several workers sharing --out divide it); nothing was trained or written`);
}

/** `ablate --report DIR`: the summary of DIR's finished cells, no training. */
async function ablateReport(command: Command, dir: string): Promise<void> {
  const given = new Set(command.options.map((o) => o.attributeName()).filter((name) => command.getOptionValueSource(name) === 'cli'));
  const extra = [...given].filter((name) => !['report', 'claimTimeout', 'reportVariant', 'verbose'].includes(name))
    .map((name) => command.options.find((o) => o.attributeName() === name)!.long);
  if (extra.length) {
    throw new OptionError('report', `takes the grid and its settings from ${path.join(dir, 'ablation.json')}; drop ${extra.join(', ')}`);
  }
  const flags = command.opts();
  const claimTimeout = flags.claimTimeout === undefined ? undefined : Number(flags.claimTimeout);
  if (claimTimeout !== undefined && !(claimTimeout > 0)) throw new OptionError('claimTimeout', `must be a number of seconds > 0, got '${flags.claimTimeout}'`);
  printAblation(await ablationReport(dir, { claimTimeout, reportVariant: flags.reportVariant as string | undefined }), dir, false);
}

async function ablateCommand(command: Command): Promise<void> {
  const report = command.opts().report as string | undefined;
  if (report !== undefined) return ablateReport(command, report);
  const { config, train, model, iterations: iterationsPerCell } = await runOptionsFrom(runConfig(command, ABLATE_FLAGS), ABLATE_COMMAND_DEFAULTS, ABLATE_FLAGS);
  const { app } = config;
  const archs = app.archs as Arch[];
  const attentions = app.attentions!;
  const seeds = app.seeds!;
  const outDir = train.outDir as string;
  // --nproc N: each cell data-parallel, by `train --nproc N` with the shared settings (not the grid) in a config file.
  const { archs: _a, attentions: _b, seeds: _c, claimTimeout: _d, nproc, ...shared } = app;
  const trainCell = (nproc ?? 1) > 1
    ? parallelCellTrainer(__filename, nproc!, flatConfig({ ...config, app: shared, train: { ...config.train, outDir: undefined } }, TRAIN_FLAGS))
    : undefined;
  const dataSpec = { data: app.data, testData: app.testData, augment: app.augment, imageSize: app.imageSize };
  const options: AblationOptions = {
    archs, attentions: attentions as never, seeds, outDir, train, model: model as never, dataSpec, claimTimeout: app.claimTimeout, trainCell,
    reportVariant: command.opts().reportVariant as string | undefined,
  };
  if (command.opts().estimate) return printEstimate(options);
  const controller = abortOnSignal();
  let progress: TrainProgress | undefined;
  const cellList = cellsOf({ archs, attentions: attentions as never, seeds, outDir });
  const position = (cell: AblationCell): string => `[${cellList.findIndex((c) => c.dir === cell.dir) + 1}/${cellList.length}] ${cellName(cell)}`;
  // The grid's ETA: this cell's pace, and the cells neither finished nor held by another worker after it.
  const eta = new GridEta(iterationsPerCell);
  const busy = new Set<string>();
  let waiting = 0;
  const gridEta = (): string => {
    const left = eta.secondsLeft(waiting);
    return Number.isFinite(left) ? `grid ETA ${formatDuration(left)}` : '';
  };
  const result = await ablate({
    ...options,
    signal: controller.signal,
    onCell: (cell, status, info) => {
      if (status === 'done') {
        busy.delete(cell.dir);
        console.log(`${position(cell)}: already finished`);
      }
      if (status === 'busy') {
        busy.add(cell.dir);
        console.log(`${position(cell)}: being trained by ${ownerName(info?.owner)}`);
      }
      if (status === 'starting' || status === 'resuming') {
        const took = info?.tookOver ? ` (took over the claim of ${ownerName(info.tookOver.owner)}: ${info.tookOver.reason})` : '';
        busy.delete(cell.dir);
        waiting = cellList.filter((c) => c.dir !== cell.dir && !busy.has(c.dir) && !finishedSummary(c)).length;
        eta.startCell();
        const left = gridEta();
        console.log(`${position(cell)}: ${status}${took}${left ? `; ${left}` : ''}`);
        progress = new TrainProgress(`${cell.attention} s${cell.seed}`, iterationsPerCell, 0, gridEta);
      }
      if (status === 'finished') {
        eta.finishCell();
        progress?.stop();
      }
      if (status === 'lost') {
        progress?.stop();
        console.log(`${position(cell)}: another run took the cell over (this run paused longer than --claim-timeout); stopped training it`);
      }
    },
    onEvent: (_cell, e) => {
      if (e.type === 'step') eta.step(e.iteration);
      progress?.event(e);
    },
  });
  progress?.stop();
  printAblation(result, outDir, true);
  if (result.stopped) process.exitCode = 1;
}

const ABLATE_HELP = `
Several runs can share one grid: start the same command with the same --out on as many
machines (a shared directory, e.g. NFS) or processes as you like. This is how every run works;
a single run is one worker. Each run claims the next unfinished cell that no live run holds
(<out>/claims/), trains it, releases it and takes the next. It refreshes its claim every tenth
of --claim-timeout; other runs take the cell over (it resumes from its checkpoint) when the
claim has not been refreshed for --claim-timeout seconds (default ${ABLATE_COMMAND_DEFAULTS.run.claimTimeout}), or at once when its
run was on the same host and its process is gone. When nothing is left to claim, a run writes
the tables, results.json/csv and report.html from the cells finished so far and names the cells
others are still training; the last run to finish writes the complete report.
The first run records the grid and the shared settings in <out>/ablation.json; a run with a
different grid or setting is refused (exit 2), naming the field. Per-machine settings may
differ: --device, --threads, --workers, --prefetch, --checkpoint-every, --keep-checkpoints,
--no-cudnn-benchmark, --claim-timeout. Machine clocks must agree to well within --claim-timeout.
--report DIR rebuilds the tables, statistics, results.json/csv and report.html from DIR's
finished cells without training (the grid comes from DIR/ablation.json).
--estimate times a few steps and one test batch per variant and prints the expected wall time
of the grid's unfinished cells on this machine; it trains and writes nothing.
`;

export function program(): Command {
  const cli = new Command('senet-lab')
    .description('ResNet + SE / avg-max channel attention on libtorch: train, evaluate, ablate')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  addFlags(cli.command('train').description('train one model (every train() option as a flag or in --config)'), TRAIN_FLAGS)
    .action((_flags, command: Command) => trainCommand(command));
  addFlags(cli.command('eval').description('evaluate weights on a test split: top-1/top-5, per-class accuracy, confusion matrix'), EVAL_FLAGS)
    .action((_flags, command: Command) => evalCommand(command));
  addFlags(cli.command('ablate').description('the seed experiment: archs × attentions × seeds, mean ± std, cost, paired comparisons with Holm-adjusted verdicts; several runs (machines) can share one grid'), ABLATE_FLAGS)
    .option('--report <dir>', 'rebuild the tables, statistics and report of the ablation in <dir> from its finished cells, without training')
    .option('--estimate', 'time a few training steps and one test batch per variant, print the expected wall time of the grid on this machine, and exit without training')
    .option('--report-variant <variant>', "the variant whose confusion matrix report.html shows: an attention ('se') or 'arch attention' (default: the best mean top-1)")
    .addHelpText('after', ABLATE_HELP)
    .action((_flags, command: Command) => ablateCommand(command));
  addFlags(cli.command('export').description('write weights as a standard ONNX graph (for onnxruntime and other ONNX engines)'), EXPORT_FLAGS)
    .action((_flags, command: Command) => exportCommand(command));
  cli.command('info').description('libtorch, CUDA, threads, BLAS, datasets found').action(() => printInfo());
  cli
    .command('bench')
    .description('benchmarks against PyTorch eager / torchvision, measured in the same run (training, attention cost, predict, N-API crossing, peak memory, loader)')
    .option('--quick', 'real sizes, fewer repetitions')
    .option('--smoke', 'tiny sizes, one repetition (checks the harness)')
    .option('--only <suites>', 'comma-separated: train, attention, predict, memory, distributed, loader')
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

