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
import * as fs from 'fs';
import * as path from 'path';
import { Arch, Attention, AttentionAlias, ModelOptions, OptionError, canonicalAttention } from '../options';
import { RunSummary, recordedTrain } from '../record/recorded-train';
import { TrainEvent, TrainOptions } from '../train';
import { AdjustedComparison } from './stats';
import { SummaryOptions, summarize } from './summary';
import { Claim, ClaimOptions, ClaimOwner, ClaimState, DEFAULT_CLAIM_TIMEOUT_MS, heartbeatInterval, inspectClaim, tryClaim } from './claims';
import { AblationGrid, GRID_FILE, ablationGrid, joinGrid, readGrid } from './grid';

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
  /** The variant whose confusion matrix report.html shows ("se", or "resnet50 se"); default: the best mean top-1. */
  reportVariant?: string;
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
  /** Per seed, like top1: the cell's wall time (s) and training images/s. */
  wallSeconds?: number[];
  imagesPerSecond?: number[];
  /** Trainable parameters (null when the cells did not record it). */
  parameters?: number | null;
}

/** A paired comparison, Holm–Bonferroni adjusted over all comparisons of the ablation; `verdict` is the adjusted one. */
export interface Comparison extends AdjustedComparison {
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
  const grid = joinGrid(options.outDir, ablationGrid({ ...options, train: options.train as Record<string, unknown>, model: options.model as Record<string, unknown> }));
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
  return writeSummary(options.outDir, grid, cells, stopped, claimOptions, { reportVariant: options.reportVariant });
}

/**
 * Rebuilds the summary of the ablation in `outDir` (tables, paired statistics, results.json/csv, report.html)
 * from its finished cells, without training: the grid comes from `<outDir>/ablation.json`.
 */
export async function ablationReport(outDir: string, options: { claimTimeout?: number; reportVariant?: string } = {}): Promise<AblationResult> {
  const grid = readGrid(outDir);
  if (!grid) {
    throw new OptionError('report', `${path.join(outDir, GRID_FILE)} not found: not an ablation directory (ablation.json is written when \`senet-lab ablate --out DIR\` starts)`);
  }
  const cells = cellsOf({ archs: grid.archs, attentions: grid.attentions, seeds: grid.seeds, outDir });
  return writeSummary(outDir, grid, cells, false, claimOptionsOf(options.claimTimeout), { reportVariant: options.reportVariant });
}

/**
 * Writes the summary of the cells finished now. Other workers may write it at the same time: each file is
 * replaced atomically, and a writer that sees more cells finished after its write writes again, so the
 * last summary written covers every cell finished by then.
 */
async function writeSummary(
  outDir: string,
  grid: AblationGrid,
  cells: AblationCell[],
  stopped: boolean,
  claimOptions: ClaimOptions,
  summaryOptions: SummaryOptions,
): Promise<AblationResult> {
  for (let round = 0; ; round++) {
    const finished = cells.map(finishedSummary);
    const pending: PendingCell[] = cells.flatMap((cell, i) => {
      if (finished[i]) return [];
      const state: ClaimState = inspectClaim(claimDir(outDir, cell), claimOptions);
      return [state.kind === 'live' ? { cell, owner: state.owner, heartbeatAgeMs: state.heartbeatAgeMs } : { cell, owner: null }];
    });
    const result = await summarize(outDir, grid, cells, finished, pending, stopped, summaryOptions);
    const now = cells.map((c) => finishedSummary(c) !== null);
    if (round >= 9 || now.every((f, i) => f === (finished[i] !== null))) return result;
  }
}


export { ablationTables, cellName, chooseVariant, compareVariants, comparisonTable, ownerName, verdictText } from './summary';
