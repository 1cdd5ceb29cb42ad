// `senet-lab ablate --estimate`: the expected wall time of a grid on this
// machine before committing to it. Each variant (arch × attention) trains a
// few steps with the grid's batch size, data and settings, timed between step
// events after a warm-up step, and evaluates one test batch; a cell's time is
// iterations × step time plus its evaluations (final, and every evalEvery)
// over the test set. The grid's time is the sum over its unfinished cells, as
// one worker trains them one after another.
import { AblationOptions, cellsOf, finishedSummary } from './ablate';
import { Arch, Attention, canonicalAttention, resolveTrainSettings } from '../options';
import { Dataset, InMemoryDataset } from '../data';
import { train, evaluate } from '../train';

export interface VariantEstimate {
  arch: Arch;
  attention: Attention;
  /** Seconds per training step, measured. */
  stepSeconds: number;
  /** Seconds to evaluate one test image, measured (0 without test data). */
  evalSecondsPerImage: number;
  /** Expected seconds for one cell: iterations × stepSeconds + its evaluations. */
  cellSeconds: number;
  /** Cells of this variant not finished yet. */
  cellsLeft: number;
}

export interface GridEstimate {
  variants: VariantEstimate[];
  /** Expected seconds for the unfinished cells, trained one after another. */
  totalSeconds: number;
  cellsLeft: number;
  totalCells: number;
}

/** Timed steps per variant (after one warm-up step). */
export const ESTIMATE_STEPS = 3;

/** Evaluations one cell runs: every evalEvery iterations, and once at the end. */
export function evaluationsPerCell(iterations: number, evalEvery: number): number {
  if (!(evalEvery > 0)) return 1;
  return Math.floor(iterations / evalEvery) + (iterations % evalEvery === 0 ? 0 : 1);
}

/** The first `count` test samples as an in-memory set (decoded and transformed as the evaluation would). */
function testSlice(data: Dataset | InMemoryDataset, count: number): InMemoryDataset {
  if (!(data instanceof Dataset)) return data;
  const n = Math.min(count, data.size);
  const first = data.sample(0);
  const per = first.image.length;
  const images = new Float32Array(n * per);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = i === 0 ? first : data.sample(i);
    images.set(s.image, i * per);
    labels.push(s.label);
  }
  return { images, labels, shape: [n, ...(first.shape as [number, number, number])] };
}

/** Times a few steps and one test batch per variant and projects the grid's wall time on this machine. */
export async function estimateGrid(options: AblationOptions, steps = ESTIMATE_STEPS, onVariant?: (v: VariantEstimate) => void): Promise<GridEstimate> {
  const cells = cellsOf(options);
  // Nothing is written: no run directory, no checkpoints (the grid's directory stays as it was).
  const { data, outDir: _outDir, ...shared } = options.train as typeof options.train & { outDir?: string };
  const settings = resolveTrainSettings(shared);
  const testSize = data.test ? (data.test instanceof Dataset ? data.test.size : data.test.shape[0]) : 0;
  const evalImages = data.test ? testSize * evaluationsPerCell(settings.iterations, settings.evalEvery) : 0;
  const variants: VariantEstimate[] = [];
  for (const arch of options.archs) {
    for (const attention of [...new Set(options.attentions.map(canonicalAttention))]) {
      const seed = options.seeds[0];
      const times: number[] = [];
      const result = await train({
        ...shared,
        preset: undefined,
        data: { train: data.train },
        model: { ...options.model, arch, attention, seed },
        seed,
        iterations: steps + 1,
        logEvery: 1,
        evalEvery: 0,
        checkpointEvery: 0,
        optimizer: settings.optimizer,
        schedule: { type: 'constant' }, // the schedule does not change a step's cost; the grid's may not fit so few steps
      }, { onEvent: (e) => { if (e.type === 'step') times.push(performance.now()); } });
      const stepSeconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 / (times.length - 1) : result.wallSeconds / (steps + 1);
      let evalSecondsPerImage = 0;
      if (data.test) {
        const slice = testSlice(data.test, Math.min(settings.evalBatchSize, 256));
        const started = performance.now();
        const r = await evaluate(result.model, slice, { batchSize: settings.evalBatchSize, workers: settings.workers });
        evalSecondsPerImage = (performance.now() - started) / 1000 / Math.max(1, r.count);
      }
      result.model.dispose();
      const cellsLeft = cells.filter((c) => c.arch === arch && c.attention === attention && !finishedSummary(c)).length;
      const v: VariantEstimate = { arch, attention, stepSeconds, evalSecondsPerImage, cellSeconds: settings.iterations * stepSeconds + evalImages * evalSecondsPerImage, cellsLeft };
      variants.push(v);
      onVariant?.(v);
    }
  }
  return {
    variants,
    totalSeconds: variants.reduce((a, v) => a + v.cellSeconds * v.cellsLeft, 0),
    cellsLeft: variants.reduce((a, v) => a + v.cellsLeft, 0),
    totalCells: cells.length,
  };
}

/** "2 h 05 min", "12 min", "40 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
