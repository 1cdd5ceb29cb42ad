// Drives test/reference/server.py (PyTorch under Debian's /usr/bin/python3)
// over JSON lines, so torch is imported once per test file.
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

export const PYTHON = process.env.SENET_PYTHON ?? '/usr/bin/python3';

export class Reference {
  #child: ChildProcessWithoutNullStreams;
  #lines: AsyncIterator<string>;
  #stderr = '';
  #queue: Promise<unknown> = Promise.resolve();

  constructor() {
    const dir = path.join(__dirname, '..', 'reference');
    this.#child = spawn(PYTHON, [path.join(dir, 'server.py')], {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: dir, PYTHONUNBUFFERED: '1' },
    });
    this.#child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#lines = readline.createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async #next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error(`PyTorch reference exited:\n${this.#stderr}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  }

  async ready(): Promise<string> {
    const hello = await this.#next();
    return hello.torch as string;
  }

  /** Sends one command; rejects with the Python traceback on failure. Calls are serialized. */
  call<T = Record<string, unknown>>(request: Record<string, unknown>): Promise<T> {
    const run = async (): Promise<T> => {
      this.#child.stdin.write(JSON.stringify(request) + '\n');
      const reply = await this.#next();
      if (!reply.ok) throw new Error(`reference ${String(request.cmd)} failed: ${reply.error}\n${reply.trace}`);
      return reply as T;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}

/** max|a - b| / max|b|: the relative error used by every parity assertion. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
