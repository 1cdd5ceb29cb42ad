// What a finished ablation cell's directory tells the report beyond its
// summary: the loss and eval curves (metrics.jsonl), and from results.json the
// final evaluation (per-class accuracy, confusion matrix), the class names and
// the environment it trained in.
import * as fs from 'fs';
import * as path from 'path';
import type { Environment } from '../record/environment';

export interface CellRecord {
  /** Training loss by iteration (a resumed run's rewritten points replace the earlier ones). */
  loss: { iteration: number; value: number }[];
  /** Test top-1 by iteration, from the evaluations during training (evalEvery) and the final one. */
  evalTop1: { iteration: number; value: number }[];
  perClassAccuracy: number[] | null;
  /** confusion[true][predicted] counts of the final evaluation. */
  confusion: number[][] | null;
  classNames: string[] | null;
  environment: Environment | null;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null; // older or partial records: the report shows what there is
  }
}

export function readCellRecord(dir: string): CellRecord {
  const loss = new Map<number, number>();
  const evals = new Map<number, number>();
  const metrics = path.join(dir, 'metrics.jsonl');
  if (fs.existsSync(metrics)) {
    for (const line of fs.readFileSync(metrics, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: { type?: string; iteration?: number; loss?: number; top1?: number };
      try {
        e = JSON.parse(line);
      } catch {
        continue; // a line torn by a crash mid-write
      }
      if (typeof e.iteration !== 'number') continue;
      if (e.type === 'step' && typeof e.loss === 'number') loss.set(e.iteration, e.loss);
      if (e.type === 'eval' && typeof e.top1 === 'number') evals.set(e.iteration, e.top1);
    }
  }
  const results = readJson(path.join(dir, 'results.json'));
  const finalEval = (results?.result as { finalEval?: { perClassAccuracy?: number[]; confusion?: number[][] } } | undefined)?.finalEval;
  const sorted = (m: Map<number, number>): { iteration: number; value: number }[] => [...m].sort((a, b) => a[0] - b[0]).map(([iteration, value]) => ({ iteration, value }));
  return {
    loss: sorted(loss),
    evalTop1: sorted(evals),
    perClassAccuracy: Array.isArray(finalEval?.perClassAccuracy) ? finalEval!.perClassAccuracy : null,
    confusion: Array.isArray(finalEval?.confusion) ? finalEval!.confusion : null,
    classNames: Array.isArray(results?.classNames) ? (results!.classNames as string[]) : null,
    environment: (results?.environment as Environment | undefined) ?? null,
  };
}
