// `senet-lab ablate --nproc N`: every claimed cell is trained data-parallel by
// `senet-lab train --nproc N` (the train command's launcher, lib/cli/launch.ts)
// in child processes, with the shared settings in a config file in the cell's
// directory. The ablate process keeps the claim and its heartbeat; the
// launcher stops its workers if the ablate process dies.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CellJob, CellRun, CellTrainer } from './ablate';
import { RunSummary } from '../record/recorded-train';

/** `flags`: the shared train flags as a config object (flat keys, see config.ts flatConfig). */
export function parallelCellTrainer(script: string, nproc: number, flags: Record<string, unknown>): CellTrainer {
  return async (job: CellJob): Promise<CellRun> => {
    const { cell } = job;
    fs.mkdirSync(cell.dir, { recursive: true });
    const config = path.join(cell.dir, 'train-config.json');
    fs.writeFileSync(config, `${JSON.stringify({ ...flags, arch: cell.arch, attention: cell.attention, seed: cell.seed }, null, 2)}\n`);
    const args = [script, 'train', '--nproc', String(nproc), '--config', config, '--out', cell.dir, ...(job.resume ? ['--resume', cell.dir] : [])];
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, SENET_EXIT_WITH_PARENT: '1' } });
    const stop = (): boolean => child.kill('SIGINT'); // the workers checkpoint at the next step boundary
    job.signal.addEventListener('abort', stop, { once: true });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    job.signal.removeEventListener('abort', stop);
    const results = path.join(cell.dir, 'results.json');
    if (!fs.existsSync(results)) {
      throw new Error(`${cell.arch} ${cell.attention} seed ${cell.seed}: the data-parallel run exited with code ${code} without results (see its output above)`);
    }
    const summary = (JSON.parse(fs.readFileSync(results, 'utf8')) as { summary: RunSummary }).summary;
    return { summary, stopped: summary.stopped };
  };
}
