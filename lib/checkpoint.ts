// Reading a run directory's latest checkpoint from TypeScript: what a resumed
// run needs to know before any native work (the recorded settings and the
// model), so that `resume` alone is enough to continue a run. The layout is
// native/train/checkpoint.h's: <run>/checkpoints/latest names
// iter-NNNNNNNN/, which holds state.json and model.safetensors.
import * as fs from 'fs';
import * as path from 'path';
import { ResumePoint, damagedField, recordedSettings, resolveModelOptions } from './options';

/** A run directory that cannot be resumed: a run failure (not a usage error), its message starting with `resume:`. */
class ResumeError extends Error {
  constructor(message: string) {
    super(`resume: ${message}`);
    this.name = 'ResumeError';
  }
}

const resumeError = (message: string): ResumeError => new ResumeError(message);

/** A safetensors header is a length (u64 LE) and JSON; a model's is a few tens of kB. */
const MAX_HEADER_BYTES = 64 << 20;

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw resumeError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The `__metadata__` of a safetensors file, reading only its header. */
function safetensorsMetadata(file: string): Record<string, string> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw resumeError(`cannot read the checkpoint's weights ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const prefix = Buffer.alloc(8);
    if (fs.readSync(fd, prefix, 0, 8, 0) !== 8) throw resumeError(`${file} is too short to be a safetensors file`);
    const length = Number(prefix.readBigUInt64LE(0));
    if (length <= 0 || length > MAX_HEADER_BYTES) throw resumeError(`${file} has a header of ${length} bytes; not a safetensors file senet-lab wrote`);
    const header = Buffer.alloc(length);
    if (fs.readSync(fd, header, 0, length, 8) !== length) throw resumeError(`${file} ends inside its header`);
    const parsed = JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, string> };
    return parsed.__metadata__ ?? {};
  } catch (error) {
    if (error instanceof ResumeError) throw error;
    throw resumeError(`${file} has an unreadable header: ${(error as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The model options a checkpoint's weights file records. */
function recordedModel(file: string): ResumePoint['model'] {
  const m = safetensorsMetadata(file);
  if (m.arch === undefined || m.stem === undefined || m.attention === undefined) {
    throw resumeError(`${file} does not record its model's options (arch, stem, attention)`);
  }
  try {
    const { arch, stem, attention, inChannels, numClasses, reduction } = resolveModelOptions({
      arch: m.arch as never, stem: m.stem as never, attention: m.attention as never,
      inChannels: Number(m.in_channels), numClasses: Number(m.num_classes), reduction: Number(m.reduction),
    });
    return { arch, stem, attention, inChannels, numClasses, reduction };
  } catch (error) {
    throw resumeError(`${file} records model options this version cannot read (${(error as Error).message})`);
  }
}

/**
 * The latest checkpoint of the run in `runDir`: its directory, iteration, recorded settings and model.
 * Throws an Error starting with `resume:` when there is none or it cannot be read.
 */
export function readResumePoint(runDir: string): ResumePoint {
  const root = path.join(runDir, 'checkpoints');
  const latest = path.join(root, 'latest');
  if (!fs.existsSync(latest)) {
    const why = !fs.existsSync(runDir) ? 'the directory does not exist' : !fs.statSync(runDir).isDirectory() ? 'it is not a directory' : `expected ${latest}`;
    throw resumeError(`no checkpoint in '${runDir}' (${why})`);
  }
  const name = readText(latest, 'the checkpoint pointer').trim();
  if (!/^iter-\d+$/.test(name)) throw resumeError(`'${latest}' does not name a checkpoint (it holds ${JSON.stringify(name.slice(0, 40))})`);
  const checkpoint = path.join(root, name);
  let state: unknown;
  try {
    state = JSON.parse(readText(path.join(checkpoint, 'state.json'), 'the checkpoint state'));
  } catch (error) {
    if (error instanceof ResumeError) throw error;
    throw resumeError(`${path.join(checkpoint, 'state.json')} is not valid JSON`);
  }
  const record = (state ?? {}) as { iteration?: unknown; options?: unknown };
  const iteration = record.iteration;
  if (iteration === undefined) throw resumeError(`${path.join(checkpoint, 'state.json')} records no iteration`);
  if (typeof iteration !== 'number' || !Number.isSafeInteger(iteration) || iteration < 0) {
    throw damagedField(path.join(checkpoint, 'state.json'), 'iteration', iteration, 'an integer >= 0');
  }
  return {
    checkpoint,
    iteration,
    settings: recordedSettings(record.options, path.join(checkpoint, 'state.json')),
    model: recordedModel(path.join(checkpoint, 'model.safetensors')),
  };
}
