// The definition of an ablation, stored as `<out>/ablation.json` by the first
// run on a directory: the grid (archs × attentions × seeds) and every setting
// the cells share, resolved (defaults filled in, aliases canonical), so that
// spelling a default out or leaving it off are the same grid. A run joining
// the directory must define the same grid — otherwise its cells would not be
// comparable — and `ablate --report` reads the grid from here.
//
// Settings that only say *where or how fast* a cell runs on a given machine
// (device, threads, loader workers and prefetch, checkpoint cadence, cuDNN
// autotuning) are not part of the grid: machines may differ in them.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Arch, Attention, OptionError, canonicalAttention, describe, resolveModelOptions, resolveTrainSettings } from '../options';

export const GRID_FILE = 'ablation.json';
export const GRID_VERSION = 1;

/** Per-machine settings: free to differ between the runs that share a grid. */
export const PER_MACHINE_TRAIN = ['threads', 'workers', 'prefetch', 'checkpointEvery', 'keepCheckpoints', 'cudnnBenchmark'] as const;
export const PER_MACHINE_MODEL = ['device'] as const;
/** Set per cell by the runner. */
const PER_CELL_TRAIN = ['seed', 'outDir', 'resume'];
const PER_CELL_MODEL = ['arch', 'attention', 'seed'];

export interface AblationGrid {
  version: number;
  archs: Arch[];
  attentions: Attention[];
  seeds: number[];
  /** How the data was chosen (the CLI's --data, --augment, …) or what the datasets are. */
  data: unknown;
  /** Shared model options, resolved, without arch/attention/seed and per-machine ones. */
  model: Record<string, unknown>;
  /** Shared training settings, resolved, without seed/outDir/resume and per-machine ones. */
  train: Record<string, unknown>;
}

/** What ablation.json holds: the grid, and who started it (informative, not compared). */
export interface StoredGrid extends AblationGrid {
  createdAt: string;
  createdBy: { host: string; pid: number };
}

export interface GridInput {
  archs: Arch[];
  attentions: string[];
  seeds: number[];
  train: Record<string, unknown>;
  model?: Record<string, unknown>;
  /** A description of the data; default: derived from `train.data`. */
  dataSpec?: unknown;
}

/** A dataset as ablation.json records it when the caller gives no description. */
function describeDataset(data: unknown): unknown {
  if (data === undefined || data === null) return null;
  const d = data as Record<string, unknown>;
  if (typeof d.type === 'string' && typeof d.location === 'string') {
    return { type: d.type, location: d.location, size: d.size, sampleShape: d.sampleShape };
  }
  if (Array.isArray(d.shape)) return { inMemory: true, shape: d.shape };
  return { unknown: true };
}

function without(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => !keys.includes(k) && v !== undefined));
}

/** Sorted keys, so that ablation.json and comparisons do not depend on insertion order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** The grid an ablation call defines (validates the shared settings as train() would). */
export function ablationGrid(input: GridInput): AblationGrid {
  const { data, ...trainInput } = input.train;
  const settings = resolveTrainSettings(without(trainInput, PER_CELL_TRAIN) as Parameters<typeof resolveTrainSettings>[0]);
  const model = resolveModelOptions(without(input.model ?? {}, PER_CELL_MODEL));
  const dataSet = data as { train?: unknown; test?: unknown } | undefined;
  return canonical({
    version: GRID_VERSION,
    archs: [...input.archs],
    attentions: [...new Set(input.attentions.map(canonicalAttention))],
    seeds: [...input.seeds],
    data: input.dataSpec ?? { train: describeDataset(dataSet?.train), test: describeDataset(dataSet?.test) },
    model: without(model as unknown as Record<string, unknown>, [...PER_CELL_MODEL, ...PER_MACHINE_MODEL]),
    train: without(settings as unknown as Record<string, unknown>, [...PER_CELL_TRAIN, ...PER_MACHINE_TRAIN]),
  }) as AblationGrid;
}

/** The first field (dotted path) where two grids differ, with both values; null when equal. */
export function gridDifference(stored: AblationGrid, given: AblationGrid): { field: string; stored: unknown; given: unknown } | null {
  const walk = (a: unknown, b: unknown, field: string): { field: string; stored: unknown; given: unknown } | null => {
    const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isObject(a) && isObject(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const d = walk(a[k], b[k], field ? `${field}.${k}` : k);
        if (d) return d;
      }
      return null;
    }
    return JSON.stringify(a) === JSON.stringify(b) ? null : { field, stored: a, given: b };
  };
  for (const key of ['version', 'archs', 'attentions', 'seeds', 'data', 'model', 'train'] as const) {
    const d = walk(stored[key], given[key], key);
    if (d) return d;
  }
  return null;
}

const show = (v: unknown): string => (v === undefined ? 'not set' : describe(v));

/** Reads `<dir>/ablation.json`; null when there is none. */
export function readGrid(dir: string): StoredGrid | null {
  const file = path.join(dir, GRID_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as StoredGrid;
  } catch (error) {
    throw new OptionError('out', `${file} is not valid JSON (${(error as Error).message}); it defines the ablation in ${dir} — restore it or use another directory`);
  }
}

/**
 * Records `grid` as the directory's ablation, or checks it against the one recorded: the first run on a
 * directory writes ablation.json (atomically: a complete file appears under its name or nothing does),
 * every later run must match it. Throws an OptionError naming the first differing field.
 */
export function joinGrid(dir: string, grid: AblationGrid): StoredGrid {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, GRID_FILE);
  let stored = readGrid(dir);
  if (!stored) {
    const mine: StoredGrid = { ...grid, createdAt: new Date().toISOString(), createdBy: { host: os.hostname(), pid: process.pid } };
    const tmp = `${file}.${crypto.randomUUID()}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(mine, null, 2)}\n`);
    try {
      fs.linkSync(tmp, file); // fails with EEXIST when another run recorded its grid first
      stored = mine;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      stored = readGrid(dir)!;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const d = gridDifference(stored, grid);
  if (d) {
    throw new OptionError(d.field, `${file} holds an ablation with ${show(d.stored)}, this run asks for ${show(d.given)}; ` +
      'every run on one directory must use the same grid and shared settings (or choose another --out)');
  }
  return stored;
}
