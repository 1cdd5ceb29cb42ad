// The expected time left for a whole ablation grid while one worker trains
// it: the current cell's remaining iterations at its measured pace, plus the
// cells still waiting at the mean time of the cells this run has finished
// (before the first one finishes: the current cell's projected time). The pace
// is measured from a cell's first step event on, so a resumed cell counts
// only the iterations this run trains.
export class GridEta {
  #cellTimes: number[] = [];
  #first: { time: number; iteration: number } | null = null;
  #iteration = 0;
  #iterations: number;
  #now: () => number;

  /** `iterations`: of one cell; `now`: milliseconds (tests pass their own clock). */
  constructor(iterations: number, now: () => number = () => performance.now()) {
    this.#iterations = iterations;
    this.#now = now;
  }

  /** A cell starts or resumes. */
  startCell(): void {
    this.#first = null;
    this.#iteration = 0;
  }

  /** A step event of the current cell. */
  step(iteration: number): void {
    this.#first ??= { time: this.#now(), iteration };
    this.#iteration = iteration;
  }

  #pace(): number {
    const done = this.#first ? this.#iteration - this.#first.iteration : 0;
    return done > 0 ? (this.#now() - this.#first!.time) / 1000 / done : Number.NaN;
  }

  /** The current cell finished: its pace projects a whole cell's time. */
  finishCell(): void {
    const pace = this.#pace();
    if (Number.isFinite(pace)) this.#cellTimes.push(pace * this.#iterations);
  }

  /** Seconds left for the current cell and `cellsWaiting` more; NaN until there is a pace to go by. */
  secondsLeft(cellsWaiting: number): number {
    const pace = this.#pace();
    const perCell = this.#cellTimes.length ? this.#cellTimes.reduce((a, b) => a + b, 0) / this.#cellTimes.length : this.#iterations * pace;
    const current = Number.isFinite(pace) ? Math.max(0, this.#iterations - this.#iteration) * pace : this.#first === null && this.#cellTimes.length ? perCell : Number.NaN;
    return current + cellsWaiting * perCell;
  }
}
