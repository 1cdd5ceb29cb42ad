// The seed's experiment as one call: archs × attentions × seeds, resumable
// (finished cells are read back, interrupted cells resume from their
// checkpoint), summarised as mean ± std over seeds with paired 95% confidence
// intervals against the plain ResNet and against SE.
//
// Any number of runs — processes on one machine or on several machines that
// share the output directory — cooperate on one grid, always (one run is just
// the case of one worker): each run claims the next unfinished cell that no
// live run holds (claims.ts), trains it, releases it and looks again. When
// nothing is left to claim it writes the tables, statistics and report from
// the cells finished so far. The grid and its shared settings are recorded in
// `<out>/ablation.json` (grid.ts); a run with a different grid is refused.
//
// Training one claimed cell is one swappable function (`CellTrainer`): in this
// process by default; a data-parallel runner can spawn processes instead.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Arch, Attention, AttentionAlias, ModelOptions, OptionError, canonicalAttention } from '../options';
import { RunSummary, recordedTrain } from './run';
import { TrainEvent, TrainOptions } from '../train';
import { CurvePoint } from './report/charts';
import { PairedComparison, formatMeanStd, mean, pairedComparison, std } from './report/stats';
import { writeReport } from './report/html';
import { writeResults } from './report/results';
import { Claim, ClaimOptions, ClaimOwner, ClaimState, DEFAULT_CLAIM_TIMEOUT_MS, heartbeatInterval, inspectClaim, tryClaim } from './claims';
import { GRID_FILE, ablationGrid, joinGrid, readGrid } from './grid';

/** What happens to a cell, as `onCell` reports it. */
export type CellStatus =
  /** finished before this run looked at it (by an earlier run or another worker) */
  | 'done'
  /** claimed by this run; training starts from scratch / continues from the cell's checkpoint */
  | 'starting'
  | 'resuming'
  /** trained to the end by this run */
  | 'finished'
  /** held by another live worker (reported once per call) */
  | 'busy'
  /** this run's claim was taken over while it trained (it paused longer than the claim timeout); it stopped the cell */
  | 'lost';

export interface CellInfo {
  /** 'busy': the worker that holds the cell. */
  owner?: ClaimOwner | null;
  heartbeatAgeMs?: number;
  /** 'starting' / 'resuming': the stale claim this run took over, and why it was stale. */
  tookOver?: { owner: ClaimOwner | null; reason: string };
}

/** One claimed cell to train: the seam between the claim loop and the training itself. */
export interface CellJob {
  cell: AblationCell;
  /** The cell directory holds a checkpoint: continue from it (`resume: cell.dir`). */
  resume: boolean;
  /** Shared settings of every cell (train and model options), as given to ablate(). */
  options: AblationOptions;
  /** Aborted on Ctrl-C or when the claim is lost: stop at the next step boundary, write a checkpoint. */
  signal: AbortSignal;
  onEvent: (event: TrainEvent) => void;
}

/** What a cell trainer reports; a finished cell has also written `<cell.dir>/results.json` with `summary`. */
export interface CellRun {
  summary: RunSummary;
  stopped: boolean;
}

/**
 * Trains one claimed cell to its end (or until `job.signal`), writing the cell directory a recorded run
 * writes (metrics.jsonl, checkpoints/, results.json last). The default trains in this process.
 */
export type CellTrainer = (job: CellJob) => Promise<CellRun>;

export interface AblationOptions {
  archs: Arch[];
  attentions: (Attention | AttentionAlias)[];
  seeds: number[];
  outDir: string;
  /** Everything else of a train() call, shared by all cells (data, iterations, optimizer, …). */
  train: Omit<TrainOptions, 'model' | 'seed' | 'outDir' | 'resume'>;
  /** Model options shared by all cells (stem, inChannels, numClasses, reduction, device). */
  model?: Omit<ModelOptions, 'arch' | 'attention' | 'seed'>;
  /**
   * How the data was chosen, recorded in ablation.json and compared when another run joins the directory
   * (the CLI passes its --data, --augment, --image-size). Default: the datasets' type, location and size.
   */
  dataSpec?: unknown;
  /** Seconds without a heartbeat after which another worker's claim on a cell counts as dead. Default 300. */
  claimTimeout?: number;
  /** Trains one claimed cell; default `trainCellInProcess`. */
  trainCell?: CellTrainer;
  onCell?: (cell: AblationCell, status: CellStatus, info?: CellInfo) => void;
  onEvent?: (cell: AblationCell, event: TrainEvent) => void;
  signal?: AbortSignal;
}

export interface AblationCell {
  arch: Arch;
  attention: Attention;
  seed: number;
  dir: string;
}

export interface VariantStats {
  arch: Arch;
  attention: Attention;
  seeds: number[];
  top1: number[];
  top5: number[];
}

export interface Comparison extends PairedComparison {
  arch: Arch;
  attention: Attention;
  baseline: Attention;
  metric: 'top1';
}

/** An unfinished cell when the summary was written: held by a live worker (`owner`), or by nobody. */
export interface PendingCell {
  cell: AblationCell;
  owner: ClaimOwner | null;
  heartbeatAgeMs?: number;
}

export interface AblationResult {
  /** The finished cells' summaries, in grid order. */
  cells: RunSummary[];
  variants: VariantStats[];
  comparisons: Comparison[];
  stopped: boolean;
  /** Cells in the grid; `cells.length` of them are finished. */
  total: number;
  /** The grid's unfinished cells. */
  pending: PendingCell[];
  files: { report: string; resultsJson: string; resultsCsv: string };
}

export function cellsOf(options: Pick<AblationOptions, 'archs' | 'attentions' | 'seeds' | 'outDir'>): AblationCell[] {
  if (!options.archs?.length) throw new OptionError('archs', 'needs at least one arch');
  if (!options.attentions?.length) throw new OptionError('attentions', 'needs at least one attention');
  if (!options.seeds?.length) throw new OptionError('seeds', 'needs at least one seed');
  const attentions = [...new Set(options.attentions.map(canonicalAttention))];
  const cells: AblationCell[] = [];
  for (const arch of options.archs) {
    for (const attention of attentions) {
      for (const seed of options.seeds) cells.push({ arch, attention, seed, dir: path.join(options.outDir, 'cells', arch, attention, `seed-${seed}`) });
    }
  }
  return cells;
}

/** Where a cell's claims live: `<out>/claims/<arch>/<attention>/seed-<n>/`. */
export function claimDir(outDir: string, cell: Pick<AblationCell, 'arch' | 'attention' | 'seed'>): string {
  return path.join(outDir, 'claims', cell.arch, cell.attention, `seed-${cell.seed}`);
}

/** The cell's summary if it is finished: results.json of a run that was not stopped. */
export function finishedSummary(cell: AblationCell): RunSummary | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cell.dir, 'results.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const summary = (JSON.parse(text) as { summary?: RunSummary }).summary;
  return summary && !summary.stopped ? summary : null;
}

function readLossCurve(cell: AblationCell): CurvePoint[] {
  const file = path.join(cell.dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  const points = new Map<number, number>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { type: string; iteration: number; loss: number };
    if (e.type === 'step' && typeof e.loss === 'number') points.set(e.iteration, e.loss); // a resumed run rewrites later points
  }
  return [...points].map(([iteration, value]) => ({ series: `${cell.arch} ${cell.attention}`, iteration, value, seed: cell.seed }));
}

/** The default CellTrainer: a recorded train() run in this process. */
export async function trainCellInProcess(job: CellJob): Promise<CellRun> {
  const { cell, options } = job;
  const run = await recordedTrain(
    {
      ...options.train,
      model: { ...options.model, arch: cell.arch, attention: cell.attention, seed: cell.seed },
      seed: cell.seed,
      outDir: cell.dir,
      ...(job.resume ? { resume: cell.dir } : {}),
    },
    { name: `${cell.arch} ${cell.attention} seed ${cell.seed}`, signal: job.signal, onEvent: job.onEvent },
  );
  return { summary: run.summary, stopped: run.result.stopped };
}

const claimOptionsOf = (claimTimeout: number | undefined): ClaimOptions => {
  if (claimTimeout !== undefined && !(Number.isFinite(claimTimeout) && claimTimeout > 0)) {
    throw new OptionError('claimTimeout', `must be a number of seconds > 0, got ${claimTimeout}`);
  }
  return { timeoutMs: claimTimeout === undefined ? DEFAULT_CLAIM_TIMEOUT_MS : claimTimeout * 1000 };
};

/**
 * Trains the grid's unfinished cells that no other live worker holds, one at a time, then writes the
 * summary (tables, paired statistics, results.json/csv, report.html) of every cell finished so far.
 */
export async function ablate(options: AblationOptions): Promise<AblationResult> {
  const cells = cellsOf(options);
  const claimOptions = claimOptionsOf(options.claimTimeout);
  joinGrid(options.outDir, ablationGrid({ ...options, train: options.train as Record<string, unknown>, model: options.model as Record<string, unknown> }));
  const trainCell = options.trainCell ?? trainCellInProcess;
  const said = new Map<AblationCell, CellStatus>(); // 'done' and 'busy' are reported once per cell
  const say = (cell: AblationCell, status: CellStatus, info?: CellInfo): void => {
    if ((status === 'done' || status === 'busy') && said.get(cell) === status) return;
    if (status === 'done' && said.get(cell) === 'finished') return;
    said.set(cell, status);
    options.onCell?.(cell, status, info);
  };

  /** The first unfinished cell this run can claim, in grid order; 'aborted' once the signal fired. */
  const claimNext = (): { cell: AblationCell; claim: Claim } | 'aborted' | null => {
    for (const cell of cells) {
      if (finishedSummary(cell)) {
        say(cell, 'done');
        continue;
      }
      if (options.signal?.aborted) return 'aborted';
      const attempt = tryClaim(claimDir(options.outDir, cell), claimOptions);
      if ('busy' in attempt) {
        say(cell, 'busy', { owner: attempt.busy.owner, heartbeatAgeMs: attempt.busy.heartbeatAgeMs });
        continue;
      }
      if (finishedSummary(cell)) {
        // Finished by its previous owner between our look and our claim (it writes results.json, then releases).
        attempt.claim.release();
        say(cell, 'done');
        continue;
      }
      return { cell, claim: attempt.claim };
    }
    return null;
  };

  let stopped = false;
  for (;;) {
    const next = claimNext();
    if (next === null) break;
    if (next === 'aborted') {
      stopped = true;
      break;
    }
    const { cell, claim } = next;
    try {
      const resume = fs.existsSync(path.join(cell.dir, 'checkpoints', 'latest'));
      const tookOver = claim.tookOver ? { owner: claim.tookOver.owner, reason: claim.tookOver.reason } : undefined;
      say(cell, resume ? 'resuming' : 'starting', tookOver ? { tookOver } : undefined);
      const lost = new AbortController();
      claim.startHeartbeat(heartbeatInterval(claimOptions.timeoutMs), () => lost.abort());
      const signal = options.signal ? AbortSignal.any([options.signal, lost.signal]) : lost.signal;
      const run = await trainCell({ cell, resume, options, signal, onEvent: (e) => options.onEvent?.(cell, e) });
      claim.stopHeartbeat();
      if (run.stopped && lost.signal.aborted && !options.signal?.aborted) {
        // Another worker owns the cell now; its files are its business.
        say(cell, 'lost');
        continue;
      }
      if (run.stopped) {
        // An interrupted cell is not finished: drop its results so the next run resumes it.
        fs.rmSync(path.join(cell.dir, 'results.json'), { force: true });
        stopped = true;
        break;
      }
      say(cell, 'finished');
    } finally {
      claim.release(); // after results.json: a worker that claims the cell next sees it finished
    }
  }
  return writeSummary(options.outDir, options, cells, stopped, claimOptions);
}

/**
 * Rebuilds the summary of the ablation in `outDir` (tables, paired statistics, results.json/csv, report.html)
 * from its finished cells, without training: the grid comes from `<outDir>/ablation.json`.
 */
export async function ablationReport(outDir: string, options: { claimTimeout?: number } = {}): Promise<AblationResult> {
  const grid = readGrid(outDir);
  if (!grid) {
    throw new OptionError('report', `${path.join(outDir, GRID_FILE)} not found: not an ablation directory (ablation.json is written when \`senet-lab ablate --out DIR\` starts)`);
  }
  const cells = cellsOf({ archs: grid.archs, attentions: grid.attentions, seeds: grid.seeds, outDir });
  return writeSummary(outDir, grid, cells, false, claimOptionsOf(options.claimTimeout));
}

/**
 * Writes the summary of the cells finished now. Other workers may write it at the same time: each file is
 * replaced atomically, and a writer that sees more cells finished after its write writes again, so the
 * last summary written covers every cell finished by then.
 */
async function writeSummary(
  outDir: string,
  grid: Pick<AblationOptions, 'archs' | 'attentions' | 'seeds'>,
  cells: AblationCell[],
  stopped: boolean,
  claimOptions: ClaimOptions,
): Promise<AblationResult> {
  for (let round = 0; ; round++) {
    const finished = cells.map(finishedSummary);
    const pending: PendingCell[] = cells.flatMap((cell, i) => {
      if (finished[i]) return [];
      const state: ClaimState = inspectClaim(claimDir(outDir, cell), claimOptions);
      return [state.kind === 'live' ? { cell, owner: state.owner, heartbeatAgeMs: state.heartbeatAgeMs } : { cell, owner: null }];
    });
    const result = await summarize(outDir, grid, cells, finished, pending, stopped);
    const now = cells.map((c) => finishedSummary(c) !== null);
    if (round >= 9 || now.every((f, i) => f === (finished[i] !== null))) return result;
  }
}

/** "resnet18 se seed 2". */
export function cellName(cell: Pick<AblationCell, 'arch' | 'attention' | 'seed'>): string {
  return `${cell.arch} ${cell.attention} seed ${cell.seed}`;
}

/** "host pid 123". */
export function ownerName(owner: ClaimOwner | null | undefined): string {
  return owner ? `${owner.host} pid ${owner.pid}` : 'an unknown worker';
}

async function summarize(
  outDir: string,
  grid: Pick<AblationOptions, 'archs' | 'attentions' | 'seeds'>,
  cells: AblationCell[],
  finished: (RunSummary | null)[],
  pending: PendingCell[],
  stopped: boolean,
): Promise<AblationResult> {
  const summaries = finished.filter((s): s is RunSummary => s !== null);
  const variants: VariantStats[] = [];
  for (const arch of grid.archs) {
    for (const attention of [...new Set(grid.attentions.map(canonicalAttention))]) {
      const runs = summaries.filter((s) => s.arch === arch && s.attention === attention && s.top1 !== null);
      variants.push({ arch, attention, seeds: runs.map((r) => r.seed), top1: runs.map((r) => r.top1!), top5: runs.map((r) => r.top5!) });
    }
  }
  const bySeed = (v: VariantStats): Map<number, number> => new Map(v.seeds.map((s, i) => [s, v.top1[i]]));
  const comparisons: Comparison[] = [];
  for (const v of variants) {
    for (const baseline of ['none', 'se'] as const) {
      const base = variants.find((b) => b.arch === v.arch && b.attention === baseline);
      if (!base || v.attention === baseline || (baseline === 'se' && v.attention === 'none')) continue;
      comparisons.push({ arch: v.arch, attention: v.attention, baseline, metric: 'top1', ...pairedComparison(bySeed(v), bySeed(base)) });
    }
  }
  const rows = summaries.map((s) => ({ ...s }) as unknown as Record<string, unknown>);
  const pendingJson = pending.map((p) => ({ arch: p.cell.arch, attention: p.cell.attention, seed: p.cell.seed, trainingBy: p.owner ? { host: p.owner.host, pid: p.owner.pid } : null }));
  // Written into a private directory, then renamed into place: concurrent workers never leave a torn file.
  const tmp = path.join(outDir, `.summary-${crypto.randomUUID()}`);
  try {
    writeResults(tmp, {
      cells: summaries,
      variants: variants.map((v) => ({ ...v, top1Mean: mean(v.top1), top1Std: std(v.top1), top5Mean: mean(v.top5), top5Std: std(v.top5) })),
      comparisons,
      stopped,
      finished: summaries.length,
      total: cells.length,
      pending: pendingJson,
    }, rows);
    const lossPoints = cells.filter((_, i) => finished[i]).flatMap(readLossCurve);
    const training = pending.filter((p) => p.owner);
    const waiting = pending.filter((p) => !p.owner);
    await writeReport(
      tmp,
      'senet-lab ablation',
      `${grid.archs.join(', ')} × ${variants.map((v) => v.attention).filter((a, i, all) => all.indexOf(a) === i).join(', ')} × seeds ${grid.seeds.join(', ')}; ` +
        `${summaries.length} of ${cells.length} cells finished` +
        (training.length ? `; being trained: ${training.map((p) => `${cellName(p.cell)} (${ownerName(p.owner)})`).join(', ')}` : '') +
        (waiting.length ? `; not started or interrupted: ${waiting.map((p) => cellName(p.cell)).join(', ')}` : ''),
      [{ title: 'training loss (mean ± 1 std over seeds)', yTitle: 'loss', points: lossPoints, band: grid.seeds.length > 1 }],
      [...ablationTables(variants), comparisonTable(comparisons)],
    );
    for (const name of ['results.csv', 'report.html', 'results.json']) fs.renameSync(path.join(tmp, name), path.join(outDir, name));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const files = { report: path.join(outDir, 'report.html'), resultsJson: path.join(outDir, 'results.json'), resultsCsv: path.join(outDir, 'results.csv') };
  return { cells: summaries, variants, comparisons, stopped, total: cells.length, pending, files };
}

/** The seed paper's table shape: rows top-1/top-5, one column per variant, mean ± std over seeds. */
export function ablationTables(variants: VariantStats[]): { title: string; header: string[]; rows: string[][] }[] {
  const archs = [...new Set(variants.map((v) => v.arch))];
  return archs.map((arch) => {
    const columns = variants.filter((v) => v.arch === arch);
    return {
      title: `${arch}: test accuracy (%), mean ± std over seeds`,
      header: ['', ...columns.map((v) => v.attention)],
      rows: [
        ['top-1', ...columns.map((v) => formatMeanStd(v.top1))],
        ['top-5', ...columns.map((v) => formatMeanStd(v.top5))],
        ['seeds', ...columns.map((v) => String(v.seeds.length))],
      ],
    };
  });
}

export function comparisonTable(comparisons: Comparison[]): { title: string; header: string[]; rows: string[][] } {
  const signed = (v: number): string => (Number.isNaN(v) ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
  return {
    title: 'paired differences in top-1 (points), 95% confidence interval over seeds',
    header: ['arch', 'variant', 'vs', 'mean Δ', '95% CI', 'seeds', 'verdict'],
    rows: comparisons.map((c) => [c.arch, c.attention, c.baseline, signed(c.meanDifference), Number.isNaN(c.low) ? '—' : `[${signed(c.low)}, ${signed(c.high)}]`, String(c.n), c.verdict]),
  };
}
