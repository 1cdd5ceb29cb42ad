// A recorded training run: train() plus everything a run directory holds
// for people and tools — TensorBoard scalars, results.json/csv and
// report.html with learning curves — next to the engine's metrics.jsonl,
// checkpoints and final weights.
import { EventWriter } from './tensorboard';
import { writeReport } from './html';
import { writeResults } from './results';
import { CurvePoint } from './charts';
import { TrainControl, TrainEvent, TrainOptions, TrainResult, train } from '../train';
import { Model } from '../model';
import { OptionError, resolveDistributed } from '../options';
import { runtimeInfo } from '../runtime';
import { Dataset } from '../data';
import { currentEnvironment } from './environment';

export interface RunSummary {
  name: string;
  arch: string;
  attention: string;
  seed: number;
  iterations: number;
  top1: number | null;
  top5: number | null;
  loss: number | null;
  bestTop1: number | null;
  wallSeconds: number;
  imagesPerSecond: number;
  /** Trainable parameters of the model (absent in results written before it was recorded). */
  parameters?: number;
  stopped: boolean;
}

export interface RecordedRun {
  result: TrainResult;
  summary: RunSummary;
  curves: { loss: CurvePoint[]; top1: CurvePoint[] };
  /** null on the ranks of a data-parallel run other than 0, which write nothing. */
  files: { report: string; resultsJson: string; resultsCsv: string; tensorboard: string } | null;
}

export async function recordedTrain(options: TrainOptions & { outDir: string }, control: TrainControl & { name?: string } = {}): Promise<RecordedRun> {
  if (!options.outDir) throw new OptionError('outDir', 'a recorded run needs a run directory');
  const name = control.name ?? 'run';
  // In a data-parallel run rank 0 records the run; the other ranks only train.
  const records = options.distributed === undefined || resolveDistributed(options.distributed).rank === 0;
  const board = records ? new EventWriter(`${options.outDir}/tensorboard`) : undefined;
  const loss: CurvePoint[] = [];
  const top1: CurvePoint[] = [];
  const top5: CurvePoint[] = [];
  const lr: CurvePoint[] = [];
  const onEvent = (e: TrainEvent): void => {
    if (e.type === 'step') {
      board?.scalars(e.iteration, { 'train/loss': e.loss, 'train/lr': e.lr, 'train/images_per_second': e.imagesPerSecond });
      loss.push({ series: name, iteration: e.iteration, value: e.loss });
      lr.push({ series: name, iteration: e.iteration, value: e.lr });
    } else if (e.type === 'eval') {
      board?.scalars(e.iteration, { 'eval/top1': e.top1, 'eval/top5': e.top5, 'eval/loss': e.loss });
      top1.push({ series: `${name} top-1`, iteration: e.iteration, value: e.top1 });
      top5.push({ series: `${name} top-5`, iteration: e.iteration, value: e.top5 });
    }
    control.onEvent?.(e);
  };
  const { name: _name, ...trainControl } = control;
  const result = await train(options, { ...trainControl, onEvent });
  const model = result.model as Model;
  const summary: RunSummary = {
    name,
    arch: model.options.arch,
    attention: model.options.attention,
    seed: result.settings.seed,
    iterations: result.iterations,
    top1: result.finalEval?.top1 ?? null,
    top5: result.finalEval?.top5 ?? null,
    loss: result.finalEval?.loss ?? null,
    bestTop1: result.bestEval?.top1 ?? null,
    wallSeconds: result.wallSeconds,
    imagesPerSecond: result.imagesPerSecond,
    parameters: model.parameterCount,
    stopped: result.stopped,
  };
  const curves = { loss, top1 };
  if (!board) return { result, summary, curves, files: null };
  const { model: _model, ...serializable } = result;
  // The environment and the test set's class names make the run's report (and an ablation's) stand alone.
  const environment = currentEnvironment(runtimeInfo(), model.options.device, result.settings.amp);
  const classNames = options.data.test instanceof Dataset ? options.data.test.classNames : undefined;
  const files = writeResults(options.outDir, { summary, result: serializable, modelOptions: model.options, environment, classNames }, [summary as unknown as Record<string, unknown>]);
  const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
  const report = await writeReport(
    options.outDir,
    `senet-lab run: ${name}`,
    `${model.options.arch}, attention ${model.options.attention}, stem ${model.options.stem}; ${result.iterations} iterations, batch ${result.settings.batchSize}, ${result.settings.optimizer.type} lr ${result.settings.optimizer.lr}; ${result.wallSeconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(0)} img/s`,
    [
      { title: 'training loss', yTitle: 'loss', points: loss },
      { title: 'learning rate', yTitle: 'lr', points: lr },
      { title: 'test accuracy (%)', yTitle: 'accuracy', points: [...top1, ...top5] },
    ],
    [{ title: 'results', header: ['run', 'top-1 %', 'top-5 %', 'loss', 'best top-1 %', 'iterations', 'img/s'],
      rows: [[name, fmt(summary.top1), fmt(summary.top5), fmt(summary.loss), fmt(summary.bestTop1), String(summary.iterations), summary.imagesPerSecond.toFixed(0)]] }],
  );
  return { result, summary, curves, files: { report, resultsJson: files.json, resultsCsv: files.csv, tensorboard: board.file } };
}
