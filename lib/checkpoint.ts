// Reading a run directory's latest checkpoint from TypeScript: what a resumed
// run needs to know before any native work (the recorded settings and the
// model), so that `resume` alone is enough to continue a run. The files are
// read natively, by the same fuzzed readers the run itself uses
// (native/train/checkpoint_state.h, native/io/safetensors_header.h); what a
// resumed run may change is decided in lib/options/resume.ts.
import { native } from './native';
import { ResumePoint, recordedSettings, resolveModelOptions } from './options';

/** A run directory that cannot be resumed: a run failure (not a usage error), its message starting with `resume:`. */
class ResumeError extends Error {
  constructor(message: string) {
    super(message.startsWith('resume: ') ? message : `resume: ${message}`);
    this.name = 'ResumeError';
  }
}

/** The model options a checkpoint's weights file records (its `__metadata__`). */
function recordedModel(metadata: Record<string, string>, file: string): ResumePoint['model'] {
  if (metadata.arch === undefined || metadata.stem === undefined || metadata.attention === undefined) {
    throw new ResumeError(`${file} does not record its model's options (arch, stem, attention)`);
  }
  try {
    const { arch, stem, attention, inChannels, numClasses, reduction } = resolveModelOptions({
      arch: metadata.arch as never, stem: metadata.stem as never, attention: metadata.attention as never,
      inChannels: Number(metadata.in_channels), numClasses: Number(metadata.num_classes), reduction: Number(metadata.reduction),
    });
    return { arch, stem, attention, inChannels, numClasses, reduction };
  } catch (error) {
    throw new ResumeError(`${file} records model options this version cannot read (${(error as Error).message})`);
  }
}

/**
 * The latest checkpoint of the run in `runDir`: its directory, iteration, recorded settings, process count and
 * model. Throws an Error starting with `resume:` when there is none or it cannot be read.
 */
export function readResumePoint(runDir: string): ResumePoint {
  let summary;
  try {
    summary = native().readCheckpoint(runDir);
  } catch (error) {
    throw new ResumeError((error as Error).message);
  }
  const state = `${summary.checkpoint}/state.json`;
  return {
    checkpoint: summary.checkpoint,
    iteration: summary.iteration,
    worldSize: summary.worldSize,
    settings: recordedSettings(summary.options ?? undefined, state),
    model: recordedModel(summary.modelMetadata, `${summary.checkpoint}/model.safetensors`),
  };
}
