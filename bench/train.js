// Training throughput: senet-lab's native loop vs PyTorch eager (Debian
// python3-torch) — same model, batch, input size, SGD settings and thread
// count, repetitions interleaved in the same run. Also the cost of each
// attention block relative to the plain ResNet at the same size.
//   node bench/train.js [--quick | --smoke] [--out DIR] [--pytorch-malloc]
const { createModel, runtimeInfo, train } = require('./senet');
const { Reference, formatStat, interleaved, interleavedAll, machine, markdownTable, runStandalone, stats, writeResult } = require('./harness');

const SEED_VARIANTS = ['se', 'avgmax-mul', 'avgmax-add', 'dual-mul', 'dual-add'];

function configs(mode) {
  if (mode.smoke) {
    return [
      { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 16, batch: 2, attentions: ['none', 'se'] },
      { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 16, batch: 2, attentions: ['none'], amp: 'bf16' },
    ];
  }
  return [
    // The seed's setting; every seed variant, for the attention-overhead table.
    { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 64, batch: 8, attentions: ['none', ...SEED_VARIANTS] },
    { arch: 'resnet50', stem: 'imagenet', channels: 3, side: 64, batch: 8, attentions: ['none', 'se', 'dual-add'] },
    { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 32, batch: 64, attentions: ['none', 'se', 'dual-add'] },
    // Fashion-MNIST with the 7×7 stem: the setting where PyTorch's attention blocks cost 45–60%.
    { arch: 'resnet18', stem: 'imagenet', channels: 1, side: 28, batch: 64, attentions: ['none', ...SEED_VARIANTS] },
    // Fashion-MNIST with the 3×3 stem.
    { arch: 'resnet18', stem: 'cifar', channels: 1, side: 28, batch: 64, attentions: ['none', 'se', 'dual-add'] },
    { arch: 'resnet18', stem: 'cifar', channels: 1, side: 28, batch: 64, attentions: ['none'], amp: 'bf16' },
    // amp bf16 on CPU against fp32 at ImageNet size (target on a CPU with native bf16: ≥ 1.8×).
    { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 224, batch: 32, attentions: ['none'] },
    { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 224, batch: 32, attentions: ['none'], amp: 'bf16' },
  ];
}

const SGD = { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };

/** One fixed batch of `shape` (deterministic pixels in [0, 1), labels 0–9 in turn) as train() data. */
function syntheticBatch(shape) {
  const images = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 1000) / 1000);
  const labels = Int32Array.from({ length: shape[0] }, (_, i) => i % 10);
  return { train: { images, labels, shape } };
}

/** Steps per repetition that take about `mode.secondsPerRep` at `rate` img/s (at least 2; 1 in a smoke run). */
function repetitionSteps(mode, rate, batch) {
  return Math.max(mode.smoke ? 1 : 2, Math.round((mode.secondsPerRep * rate) / batch));
}

/** "resnet18 7×7 stem 3×64×64 batch 8": a line's name in the tables. */
function lineName(arch, stem, shape) {
  return `${arch} ${stem === 'cifar' ? '3×3 stem' : '7×7 stem'} ${shape.slice(1).join('×')} batch ${shape[0]}`;
}

/** One repetition of ours: one untimed step (allocates optimizer state), then `steps` steps timed natively per step. */
async function ourRep(model, data, batch, steps, amp = false) {
  let seconds = 0;
  await train(
    { model, data, batchSize: batch, shuffle: false, iterations: steps + 1, logEvery: 1, optimizer: SGD, amp },
    { onEvent: (e) => { if (e.type === 'step' && e.iteration > 1) seconds += batch / e.imagesPerSecond; } },
  );
  return (batch * steps) / seconds;
}

async function measureLine(reference, mode, config, attention) {
  const options = { arch: config.arch, stem: config.stem, attention, inChannels: config.channels, numClasses: 10 };
  const shape = [config.batch, config.channels, config.side, config.side];
  const data = syntheticBatch(shape);
  const model = createModel({ ...options, seed: 0 });
  const amp = config.amp ?? false;
  const stepsFor = (rate) => repetitionSteps(mode, rate, config.batch);
  await reference.call({ cmd: 'train_setup', options, shape, amp });
  // Warm-up on both sides; ours also sizes the repetitions to ~secondsPerRep.
  const steps = stepsFor(await ourRep(model, data, config.batch, 2, amp));
  await reference.call({ cmd: 'train_rep', steps: 2 });
  const sides = [() => ourRep(model, data, config.batch, steps, amp), async () => (await reference.call({ cmd: 'train_rep', steps })).rate];
  let fp32Steps = 0;
  if (amp) {
    // An amp line also runs float32 on the same model, interleaved with it, so its speed-up over float32 is a
    // ratio within each repetition: float32 lines measured minutes apart carry the machine's speed shifts
    // (up to ~18% for minutes at a time on a shared 2-core machine).
    await reference.call({ cmd: 'train_setup', options, shape, key: 'fp32' });
    fp32Steps = stepsFor(await ourRep(model, data, config.batch, 2));
    await reference.call({ cmd: 'train_rep', steps: 2, key: 'fp32' });
    sides.push(() => ourRep(model, data, config.batch, fp32Steps), async () => (await reference.call({ cmd: 'train_rep', steps: fp32Steps, key: 'fp32' })).rate);
  }
  const [ours, pytorch, oursFp32, pytorchFp32] = amp ? await interleavedAll(mode.repeats, sides) : await interleaved(mode.repeats, ...sides);
  model.dispose();
  const line = `${lineName(config.arch, config.stem, shape)}${amp ? ` amp ${amp}` : ''}`;
  const row = { line, arch: config.arch, attention, amp, shape, steps, ours, pytorch, ratio: ours.median / pytorch.median };
  if (amp) {
    const perRepetition = (a, b) => stats(a.runs.map((rate, i) => rate / b.runs[i]));
    row.fp32 = { steps: fp32Steps, ours: oursFp32, pytorch: pytorchFp32 };
    row.speedupOverFp32 = { ours: perRepetition(ours, oursFp32), pytorch: perRepetition(pytorch, pytorchFp32) };
  }
  return row;
}

async function main(mode) {
  const threads = runtimeInfo().threads;
  const reference = new Reference(threads, mode);
  const rows = [];
  try {
    for (const config of configs(mode)) {
      for (const attention of config.attentions) {
        const row = await measureLine(reference, mode, config, attention);
        rows.push(row);
        console.error(`train: ${row.line} ${attention}: ${row.ours.median.toFixed(1)} vs ${row.pytorch.median.toFixed(1)} img/s (${row.ratio.toFixed(2)}×)`);
      }
    }
  } finally {
    reference.close();
  }
  // Attention cost: step time relative to `none` of the same line, each side against itself.
  for (const row of rows) {
    const none = rows.find((r) => r.line === row.line && r.attention === 'none');
    row.overheadOurs = none.ours.median / row.ours.median - 1;
    row.overheadPytorch = none.pytorch.median / row.pytorch.median - 1;
  }
  const pct = (v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(0)}%`;
  const table = markdownTable(
    ['line', 'attention', 'senet-lab img/s', 'PyTorch eager img/s', 'ratio', 'step cost vs none (ours / PyTorch)'],
    rows.map((r) => [r.line, r.attention, formatStat(r.ours), formatStat(r.pytorch), `**${r.ratio.toFixed(2)}×**`, r.attention === 'none' ? '—' : `${pct(r.overheadOurs)} / ${pct(r.overheadPytorch)}`]),
  );
  const title = `Training step (forward + backward + SGD momentum 0.9, wd 1e-4), img/s, ${threads} threads, median (range) of ${mode.repeats} interleaved repetitions${mode.pytorchMalloc ? '; PyTorch with the same malloc settings' : ''}`;
  console.log(`\n${title}\n\n${table}\n`);
  // bf16 against float32 of the same line, each side against itself, measured interleaved (measureLine).
  const bf16 = runtimeInfo().cpu.bf16;
  for (const row of rows.filter((r) => r.speedupOverFp32)) {
    console.log(`amp bf16 vs fp32, ${row.line}: ours ${formatStat(row.speedupOverFp32.ours, 2)}×, PyTorch ${formatStat(row.speedupOverFp32.pytorch, 2)}×` +
      (bf16 === 'native' ? '' : ' (no native bf16 on this CPU: emulated, expected slower than fp32)'));
  }
  writeResult(mode, mode.pytorchMalloc ? 'train-pytorch-malloc' : 'train', { ...machine(threads), bf16, allocator: runtimeInfo().allocator, pytorchMalloc: mode.pytorchMalloc, repeats: mode.repeats, rows });
  return { title, table, rows };
}

module.exports = { main, ourRep, syntheticBatch, repetitionSteps, lineName, SEED_VARIANTS };
runStandalone(module, main);
