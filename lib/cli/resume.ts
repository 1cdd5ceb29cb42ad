// `senet-lab train --resume DIR`: the run continues with what it recorded.
// The training settings and the model are in its latest checkpoint (the
// library reads them); the data flags and the thread count, which only the
// command line knows, are in <run>/run-config.json, written when the run
// started: the command's options as a --config file.
import * as fs from 'fs';
import * as path from 'path';
import { readResumePoint } from '../checkpoint';
import { OptionError, ResumePoint, describe } from '../options';
import { AppOptions, RunConfig, TRAIN_FLAGS, configSchema, flatConfig, readConfigFile } from './config';

export const RUN_CONFIG_FILE = 'run-config.json';

/** The data flags; a resumed run must read the same data. */
const DATA_FLAGS: (keyof AppOptions)[] = ['data', 'testData', 'augment', 'imageSize'];

/** The value a data flag of `senet-lab train` takes when it is not given. */
const unset = (key: keyof AppOptions): unknown => TRAIN_FLAGS.find((o) => o.name === key)?.default;

/** Writes the command's options to <outDir>/run-config.json (a new run; a resumed one keeps the file it has). */
export function recordRunConfig(outDir: string, config: RunConfig, resumed: boolean): void {
  const file = path.join(outDir, RUN_CONFIG_FILE);
  if (resumed && fs.existsSync(file)) return;
  const { resume: _resume, ...train } = config.train;
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
    throw new OptionError('out', `'${outDir}' is a file, not a run directory; give a directory (it is created when missing)`);
  }
  try {
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(flatConfig({ ...config, train }, TRAIN_FLAGS), null, 2)}\n`);
  } catch (error) {
    throw new Error(`cannot write the run directory '${outDir}': ${(error as Error).message}`);
  }
}

/**
 * The checkpoint `--resume DIR` continues from; fills `config.app`'s data flags from DIR/run-config.json and
 * refuses a data flag that differs from it. A data-parallel process other than rank 0 that cannot see DIR gets
 * undefined (rank 0 reads the checkpoint; that process needs the full command).
 */
export function resumedRunConfig(config: RunConfig, dir: string, rank: number): ResumePoint | undefined {
  let point: ResumePoint;
  try {
    point = readResumePoint(dir);
  } catch (error) {
    if (rank !== 0) return undefined;
    throw error;
  }
  const file = path.join(dir, RUN_CONFIG_FILE);
  if (!fs.existsSync(file)) return point; // a run started by the library, or by an older version: the data flags as given
  const recorded = readConfigFile(file, configSchema(TRAIN_FLAGS));
  const app = config.app as Record<string, unknown>;
  for (const key of DATA_FLAGS) {
    const was = recorded[key] ?? unset(key);
    if (app[key] !== undefined && app[key] !== was) {
      throw new OptionError(key, `cannot change when resuming: the run in ${dir} was started with ${describe(was ?? null)} (${file}), got ${describe(app[key])}; ` +
        'a resumed run reads the same data');
    }
    if (recorded[key] !== undefined) app[key] = recorded[key];
  }
  // The thread count is not in the checkpoint, and a run continues bit for bit only with the same one.
  if (config.train.threads === undefined && recorded.threads !== undefined) config.train.threads = recorded.threads;
  return point;
}
