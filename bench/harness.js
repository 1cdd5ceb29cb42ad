// Shared pieces of the benchmarks: command-line modes, robust statistics,
// the PyTorch reference server, markdown tables and result files.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const PYTHON = process.env.SENET_PYTHON ?? '/usr/bin/python3';

// --smoke: tiny sizes, one repetition (CI checks that the harness works);
// --quick: real sizes, fewer repetitions; default: the measured figures.
function benchMode(argv = process.argv) {
  const smoke = argv.includes('--smoke');
  const quick = smoke || argv.includes('--quick');
  const outIndex = argv.indexOf('--out');
  const outDir = outIndex >= 0 ? argv[outIndex + 1] : smoke ? null : path.join(__dirname, 'results');
  return {
    smoke,
    quick,
    repeats: smoke ? 1 : quick ? 3 : 5,
    secondsPerRep: smoke ? 0.05 : quick ? 1 : 2.5,
    outDir,
    // The same glibc malloc settings for PyTorch as the addon applies to itself (see native/runtime/allocator_tuning.h).
    pytorchMalloc: argv.includes('--pytorch-malloc'),
  };
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: values };
}

/** "123.4 (120.1–125.0)": median and the range of the repetitions. */
function formatStat(s, digits = 1) {
  return s.runs.length > 1 ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : s.median.toFixed(digits);
}

/** A JSON-lines server in its own process (reference_server.py, ours_server.js): one reply line per request line, in order. */
class JsonLinesServer {
  constructor(name, command, args, env = {}, exitHint = '') {
    this.name = name;
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.child.stdout });
    this.waiting = [];
    this.lines.on('line', (line) => this.waiting.shift()?.resolve(JSON.parse(line)));
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`${name}: the server exited with ${code}${exitHint}`));
    });
    this.ready = new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async call(request) {
    await this.ready;
    const reply = await new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
    if (reply.error) throw new Error(`${this.name}: ${reply.error} (request ${JSON.stringify(request)})`);
    return reply;
  }

  close() {
    this.child.stdin.end();
  }
}

/** The PyTorch eager side, one long-lived process so repetitions interleave with ours. */
class Reference extends JsonLinesServer {
  constructor(threads, { pytorchMalloc = false } = {}) {
    const env = pytorchMalloc ? { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) } : {};
    super('PyTorch reference', PYTHON, [path.join(__dirname, 'reference_server.py'), String(threads)], env,
      ` (is python3-torch installed for ${PYTHON}?)`);
  }
}

/** Runs ours and theirs alternately (ABBA…) so drift in machine speed hits both sides alike. */
async function interleaved(repeats, ours, theirs) {
  const a = [];
  const b = [];
  for (let r = 0; r < repeats; r++) {
    if (r % 2 === 0) {
      a.push(await ours());
      b.push(await theirs());
    } else {
      b.push(await theirs());
      a.push(await ours());
    }
  }
  return [stats(a), stats(b)];
}

/**
 * The same for any number of sides: repetition r runs them in an order that
 * rotates by r, reversed on odd r, so no side always runs first or after the
 * same neighbour. Returns the stats of each side, in the order given.
 */
async function interleavedAll(repeats, sides) {
  const results = sides.map(() => []);
  for (let r = 0; r < repeats; r++) {
    const order = sides.map((_, i) => (i + r) % sides.length);
    if (r % 2 === 1) order.reverse();
    for (const i of order) results[i].push(await sides[i]());
  }
  return results.map(stats);
}

function markdownTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The CPU's vector-instruction flags, which decide the kernels oneDNN and the fused steps use (the library's /proc/cpuinfo reader); undefined where none are reported. */
function cpuFlags() {
  const { flags } = require(path.join(__dirname, '..', 'dist', 'lib', 'cpu')).cpuInfo();
  return flags.length ? flags : undefined;
}

/**
 * What the figures were measured on. The load average (taken when the result is written) says
 * whether other work shared the CPUs; OMP_WAIT_POLICY, when set, applied to both libtorch sides.
 */
function machine(threads) {
  return {
    date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, cpuFlags: cpuFlags(), threads, node: process.version,
    loadAverage: os.loadavg()[0], ...(process.env.OMP_WAIT_POLICY ? { ompWaitPolicy: process.env.OMP_WAIT_POLICY } : {}),
  };
}

function writeResult(mode, name, data) {
  if (!mode.outDir) return;
  fs.mkdirSync(mode.outDir, { recursive: true });
  fs.writeFileSync(path.join(mode.outDir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}

function runStandalone(module, main) {
  if (require.main !== module) return;
  main(benchMode()).catch((error) => {
    console.error(error.stack);
    process.exit(1);
  });
}

module.exports = { JsonLinesServer, PYTHON, Reference, benchMode, formatStat, interleaved, interleavedAll, machine, markdownTable, runStandalone, stats, writeResult };
