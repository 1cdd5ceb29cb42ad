// Terminal output: a live progress bar on a TTY, plain lines elsewhere, and tables.
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { TrainEvent } from '../train';

export class TrainProgress {
  #bar: SingleBar | undefined;
  #label: string;
  #extra: (() => string) | undefined;

  /** `extra`: more to show after the cell's ETA, asked at every step (an ablation's ETA of the whole grid). */
  constructor(label: string, total: number, start = 0, extra?: () => string) {
    this.#label = label;
    this.#extra = extra;
    if (process.stderr.isTTY) {
      this.#bar = new SingleBar({
        format: `${label} |{bar}| {value}/{total} it | loss {loss} | lr {lr} | {ips} img/s | ETA {eta_formatted}${extra ? '{extra}' : ''}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      });
      this.#bar.start(total, start, { loss: '—', lr: '—', ips: '—', extra: '' });
    }
  }

  event(e: TrainEvent): void {
    if (e.type === 'step') {
      const extra = this.#extra?.() ?? '';
      const payload = { loss: e.loss.toFixed(4), lr: e.lr.toPrecision(3), ips: e.imagesPerSecond.toFixed(0), extra: extra ? ` | ${extra}` : '' };
      if (this.#bar) this.#bar.update(e.iteration, payload);
      else console.log(`${this.#label} step ${e.iteration}: loss ${payload.loss}, lr ${payload.lr}, ${payload.ips} img/s${extra ? `, ${extra}` : ''}`);
    } else if (e.type === 'eval') {
      const line = `${this.#label} eval at ${e.iteration}: top-1 ${e.top1.toFixed(2)}%, top-5 ${e.top5.toFixed(2)}%, loss ${e.loss.toFixed(4)}`;
      if (this.#bar) process.stderr.write(`\n${line}\n`);
      else console.log(line);
    } else if (e.type === 'skip') {
      console.log(`${this.#label} skipped a non-finite batch at iteration ${e.iteration}`);
    } else if (e.type === 'queued') {
      console.log(`${this.#label} waits for another training run of this process to end`);
    }
  }

  stop(): void {
    this.#bar?.stop();
  }
}

export function printTable(header: string[], rows: string[][], title?: string): void {
  if (title) console.log(`\n${title}`);
  const table = new Table({ ...(header.length ? { head: header } : {}), style: { head: [], border: [] } });
  rows.forEach((r) => table.push(r));
  console.log(table.toString());
}
