// docs/benchmarks.md, generated from the result files that `npm run bench`
// (and bench/gpu.sh with OUT=bench/results) writes to bench/results/*.json:
// the tables are rebuilt from the recorded rows, never pasted by hand.
const fs = require('fs');
const path = require('path');
const { formatStat, markdownTable } = require('../../bench/harness');
const { peakLine, predictTable } = require('../../bench/predict-table');
const { attentionTable } = require('../../bench/attention-table');
const { enginesTable } = require('../../bench/engines-table');

const ratio = (v) => `**${v.toFixed(2)}×**`;
const pct = (v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(0)}%`;
const mib = (v) => v.toFixed(0);

/** "measured 2026-11-29 on AMD EPYC, 2 CPUs, 2 threads, …" from the machine fields a result file recorded. */
function machineLine(r) {
  const parts = [r.date ? `measured ${r.date.slice(0, 10)}` : 'date not recorded'];
  if (r.cpu) parts.push(`CPU ${r.cpu}`);
  if (r.cpus) parts.push(`${r.cpus} CPUs`);
  parts.push(r.cpuFlags ? `CPU flags: ${r.cpuFlags.join(' ')}` : 'CPU flags not recorded');
  if (r.threads) parts.push(`${r.threads} threads`);
  if (r.repeats) parts.push(`median (range) of ${r.repeats} interleaved repetitions`);
  if (r.node) parts.push(`node ${r.node}`);
  if (r.allocator) parts.push(`allocator: ${r.allocator}`);
  if (r.ompWaitPolicy) parts.push(`OMP_WAIT_POLICY=${r.ompWaitPolicy}`);
  // Figures taken while other work shared the CPUs are indicative only. The benchmark itself keeps
  // about `threads` runnable, so only a load beyond cpus + threads says that something else ran.
  if (r.loadAverage !== undefined && r.loadAverage > r.cpus + (r.threads ?? 0)) parts.push(`**other work shared the CPUs (load average ${r.loadAverage.toFixed(1)} on ${r.cpus} CPUs): indicative figures only**`);
  return `_${parts.join('; ')}._`;
}

const SUITES = [
  {
    file: 'train.json',
    title: 'Training step',
    about: 'forward + backward + SGD (momentum 0.9, weight decay 1e-4), img/s; last column: step-time cost of the attention block over `none` on the same line, each side against itself (`bench/train.js`). ' +
      'The ratio column compares the two engines interleaved; the last column compares lines measured minutes apart, so the next section\'s interleaved table is the figure for the attention cost.',
    table: (r) => markdownTable(
      ['line', 'attention', 'senet-lab img/s', 'PyTorch eager img/s', 'ratio', 'step cost vs none (ours / PyTorch)'],
      r.rows.map((x) => [x.line, x.attention, formatStat(x.ours), formatStat(x.pytorch), ratio(x.ratio), x.attention === 'none' ? '—' : `${pct(x.overheadOurs)} / ${pct(x.overheadPytorch)}`]),
    ),
    extra: (r) => {
      const amp = r.rows.filter((x) => x.speedupOverFp32?.ours?.runs);
      if (amp.length === 0) return '';
      return `**amp bf16 ÷ float32**: each amp line runs float32 on the same model interleaved with it, and the speed-up is the ratio within each repetition (median and range; ${r.bf16 === 'native' ? 'native bf16 on this CPU' : 'no native bf16 on this CPU: emulated'}).\n\n${markdownTable(
        ['line', 'float32 img/s (ours / PyTorch)', 'senet-lab bf16 ÷ float32', 'PyTorch bf16 ÷ float32'],
        amp.map((x) => [x.line.replace(' amp bf16', ''), `${formatStat(x.fp32.ours)} / ${formatStat(x.fp32.pytorch)}`, `**${formatStat(x.speedupOverFp32.ours, 2)}×**`, `${formatStat(x.speedupOverFp32.pytorch, 2)}×`]),
      )}`;
    },
  },
  {
    file: 'attention.json',
    title: 'Cost of the attention blocks',
    about: 'step time of each attention kind over `none` on the same line, each side against itself (`bench/attention.js`). ' +
      'Every round runs all kinds on both sides back to back and the cost is taken within the round, so a shift in machine speed ' +
      'between rounds (up to ~18% for minutes at a time on a shared 2-core machine, for both engines) does not read as cost; ' +
      'the "step cost" column of the table above compares lines measured minutes apart and carries that shift. ' +
      'A range that reaches below zero means the shift also fell inside a round; the median is the figure.',
    table: (r) => attentionTable(r.rows),
  },
  {
    file: 'train-pytorch-malloc.json',
    title: 'Training step, PyTorch with the same malloc settings',
    about: 'as above, with `MALLOC_MMAP_THRESHOLD_`/`MALLOC_TRIM_THRESHOLD_` set for PyTorch (`npm run bench -- --pytorch-malloc`).',
    table: (r) => SUITES[0].table(r),
  },
  {
    file: 'predict.json',
    title: 'Predict',
    about: 'eval mode without autograd, img/s (`bench/predict.js`): senet-lab\'s `predict`, PyTorch eager (`inference_mode`), ' +
      'PyTorch\'s inference path ("frozen": the traced model after `torch.jit.freeze` + `torch.jit.optimize_for_inference`) and ' +
      'onnxruntime-node running senet-lab\'s ONNX export (all graph optimizations, the same intra-op thread count, spin-waiting off). ' +
      'Ratios are senet-lab ÷ the other side (above 1: senet-lab is faster); GFLOP/s count 2 FLOPs per multiply-add of the convolutions and the classifier.',
    table: (r) => predictTable(r.rows, r.peak?.best),
    extra: (r) => {
      const rows = r.rows.filter((x) => x.crossing);
      const peak = r.peak ? `${peakLine(r.peak)}\n\n` : '';
      if (rows.length === 0) return peak;
      return `${peak}**Cost of crossing N-API**: \`model.predict()\` timed from JS against the same forward timed inside native code, per-call medians, batch 1.\n\n${markdownTable(
        ['line', 'predict() from JS, ms', 'same forward in native code, ms', 'N-API overhead'],
        rows.map((x) => [x.line, x.crossing.jsMedianMs.toFixed(3), x.crossing.nativeMedianMs.toFixed(3), `**${(100 * x.crossing.overhead).toFixed(2)}%**`]),
      )}`;
    },
  },
  {
    file: 'engines.json',
    title: 'Engines',
    about: 'senet-lab built on Debian\'s libtorch 1.13 (the default engine) and on pip\'s torch 2.13 CPU (`torch2-cpu`), against PyTorch 1.13 eager, ' +
      'PyTorch 2.13 eager and `torch.compile` (inductor), and for predict also both PyTorch\'s frozen inference path; every side in its own ' +
      'process, repetitions interleaved round by round, img/s (`bench/engines.js`, `npm run bench -- --only engines`).',
    table: (r) => enginesTable(r),
  },
  {
    file: 'bf16-predict.json',
    title: 'bf16 predict on a trained model',
    about: 'the recorded `--preset fmnist-resnet18` model (3×3 stem, 28×28) on the 10,000 Fashion-MNIST test images in batches of 500: how often bf16 `predict` (`amp: \'bf16\'`) names the same class as float32 `predict`, each one\'s accuracy, and the speed of both, interleaved (`node bench/bf16-agreement.js WEIGHTS`).',
    table: (r) => markdownTable(
      ['images', 'top-1 agreement', 'top-1 float32', 'top-1 bf16', 'float32 img/s', 'bf16 img/s', 'bf16 ÷ float32', 'bf16 on this CPU'],
      [[String(r.images), `**${(100 * r.agreement).toFixed(2)}%**`, `${r.top1Fp32.toFixed(2)}%`, `${r.top1Bf16.toFixed(2)}%`,
        formatStat(r.fp32ImagesPerSecond, 0), formatStat(r.bf16ImagesPerSecond, 0), ratio(r.speedup), r.bf16]],
    ),
  },
  {
    file: 'memory.json',
    title: 'Peak memory of a training run',
    about: 'VmHWM in MiB, each side in a fresh process; "above baseline" subtracts the process after loading libtorch (`bench/memory.js`).',
    table: (r) => markdownTable(
      ['run', 'senet-lab peak', 'PyTorch peak', 'ratio', 'senet-lab above baseline', 'PyTorch above baseline'],
      r.rows.map((x) => [x.line, mib(x.ours.peakMiB), mib(x.pytorch.peakMiB), ratio(x.ratio), mib(x.ours.peakMiB - x.ours.baselineMiB), mib(x.pytorch.peakMiB - x.pytorch.baselineMiB)]),
    ),
  },
  {
    file: 'distributed.json',
    title: 'Data-parallel training',
    about: 'the same global batch in 1 process (all threads) and split over 2 processes (threads halved, Gloo over loopback), img/s of the global batch; "collectives per step": time rank 0 spent in collectives outside backward (the gradient all-reduce not hidden behind backward, buffer broadcast, loss and stop agreement), and its share of the 2-process step (`bench/distributed.js`). Two processes on the same cores cannot be faster; see [distributed.md](distributed.md#cost-of-the-all-reduce-measured) for what the figures predict for several machines.',
    table: (r) => markdownTable(
      ['line', '1 process img/s', '2 processes img/s', '2 ÷ 1', 'collectives per step, ms', 'share of the step'],
      r.rows.map((x) => [x.line, formatStat(x.oneProcess), formatStat(x.twoProcesses), ratio(x.ratio), formatStat(x.collectivesMs), `${(100 * x.fraction).toFixed(0)}%`]),
    ),
  },
  {
    file: 'loader.json',
    title: 'Data loader',
    about: "the native loader against torchvision's `ImageFolder`/`FashionMNIST` + `DataLoader` with the same transforms, batch 64 and worker count, and the images per second resnet18 training (batch 8, same resolution) consumes (`bench/loader.js`).",
    table: (r) => markdownTable(
      ['data', 'workers', 'senet-lab img/s', 'torchvision img/s', 'ratio', 'resnet18 training img/s', 'loader ÷ training'],
      r.rows.map((x) => [x.data, String(x.workers), x.ours.toFixed(0), x.torchvision.toFixed(0), `${(x.ours / x.torchvision).toFixed(2)}×`,
        x.trainingImgPerSec ? x.trainingImgPerSec.toFixed(0) : '—', x.trainingImgPerSec ? `${(x.ours / x.trainingImgPerSec).toFixed(1)}×` : '—']),
    ),
  },
  {
    file: 'gpu.json',
    title: 'GPU training step',
    about: 'CUDA, against PyTorch eager on the same GPU with the same settings (`bench/gpu.sh`).',
    table: (r) => markdownTable(
      ['line', 'settings (both sides)', 'senet-lab img/s', 'PyTorch eager img/s', 'ratio'],
      (Array.isArray(r.bench) ? r.bench : []).map((x) => [x.line, x.settings, x.ours.toFixed(1), x.pytorch.toFixed(1), ratio(x.ours / x.pytorch)]),
    ),
    machine: (r) => {
      const t = r.torch ?? {};
      const where = r.dryRun ? 'dry run on CPU (tiny sizes: the figures mean nothing)' : `GPU ${t.gpu ?? 'not recorded'}`;
      const skipped = r.benchSkipped ? ` Benchmark skipped: ${r.benchSkipped}.` : '';
      return `_${where}; torch ${t.torch ?? 'unknown'}, CUDA ${t.cuda ?? '—'}, cuDNN ${t.cudnn ?? '—'}; ${r.seconds} s in all.${skipped}_`;
    },
  },
];

const HEADER = `# Benchmarks

<!-- Generated by \`npm run docs\` from bench/results/*.json; do not edit by hand. -->

\`npm run bench\` (= \`senet-lab bench\` in a checkout; \`--quick\` for 3 repetitions, \`--smoke\` for tiny
sizes, \`--only train,attention,predict,memory,distributed,loader\`, \`--out DIR\`) measures senet-lab against PyTorch eager
(Debian's python3-torch, the same libtorch) **in the same run, on the same machine**: the same model
(torchvision plus the reference attention blocks of the parity tests), input, batch, optimizer settings
and thread count. PyTorch runs as a long-lived JSON-lines server (\`bench/reference_server.py\`), so the
repetitions interleave — ours, theirs, theirs, ours, … — and drift in machine speed hits both sides
alike; each line reports the median and the range of the repetitions after a warm-up. The figures to
read are the **ratios**: absolute img/s depend on the machine, and a ratio is only meaningful between
two measurements of one run. A smoke run at tiny sizes is part of the test suite; no figure is ever
asserted in a test. Where the differences come from: [performance.md](performance.md).

The results below are the files in \`bench/results/\`; each section says what machine they came from,
as recorded in the file.`;

/** The whole of docs/benchmarks.md from the result files in `dir`. */
function benchmarksMarkdown(dir) {
  const parts = [HEADER];
  for (const suite of SUITES) {
    const file = path.join(dir, suite.file);
    if (!fs.existsSync(file)) continue;
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    parts.push(`## ${suite.title}`, `${suite.about}\n\n${suite.machine ? suite.machine(r) : machineLine(r)}`, suite.table(r));
    const extra = suite.extra?.(r);
    if (extra) parts.push(extra);
  }
  return `${parts.join('\n\n')}\n`;
}

module.exports = { benchmarksMarkdown };
