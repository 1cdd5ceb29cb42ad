// Training throughput for bench/gpu.sh: senet-lab's native loop vs PyTorch
// eager on the same device, same model, batch, input size and settings;
// warm-up, then the median of timed repetitions. Prints one markdown table
// and a JSON summary (last line) for gpu.sh.
//   node bench/gpu_bench.js --device cuda|cpu --python PY [--dry]
const { execFileSync } = require('child_process');
const path = require('path');
const { parseArgs } = require('util');

const { values: args } = parseArgs({
  options: { device: { type: 'string' }, python: { type: 'string' }, dry: { type: 'boolean', default: false } },
});
const { createModel, runtimeInfo, train } = require(process.env.SENET_DIST ?? path.join(__dirname, '..', 'dist', 'lib'));

const device = args.device;
const cuda = device.startsWith('cuda');
const sgd = { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };
const line = (arch, attention, side, batch, amp, channelsLast, warmup, steps, repeats) => ({
  options: { arch, stem: 'imagenet', attention, inChannels: 3, numClasses: 1000 },
  shape: [batch, 3, side, side], amp, channelsLast, warmup, steps, repeats, optimizer: sgd,
});
// GPU: the two lines (+ SE on the large one); modest counts keep the whole script under 8 minutes.
const lines = args.dry
  ? [line('resnet50', 'none', 32, 4, false, false, 1, 2, 2), line('resnet18', 'none', 32, 4, false, false, 1, 3, 2)]
  : [
      line('resnet50', 'none', 224, 256, 'bf16', true, 5, 15, 3),
      line('resnet50', 'se', 224, 256, 'bf16', true, 5, 15, 3),
      line('resnet18', 'none', 64, 8, false, true, 30, 200, 3),
    ];

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function ours(l) {
  const [n, c, h, w] = l.shape;
  const images = new Float32Array(n * c * h * w);
  for (let i = 0; i < images.length; i++) images[i] = (i % 251) / 251;
  const labels = Int32Array.from({ length: n }, (_, i) => i % l.options.numClasses);
  const model = createModel({ ...l.options, seed: 0, device });
  const common = {
    model, data: { train: { images, labels, shape: l.shape } }, batchSize: n, shuffle: false, optimizer: sgd,
    amp: l.amp, channelsLast: l.channelsLast, workers: cuda ? 4 : 1,
  };
  await train({ ...common, iterations: l.warmup, logEvery: l.warmup });
  const rates = [];
  for (let r = 0; r < l.repeats; r++) {
    const result = await train({ ...common, iterations: l.steps, logEvery: l.steps });
    rates.push(result.imagesPerSecond);
  }
  model.dispose();
  return rates;
}

async function main() {
  // PyTorch first, in its own process, so the two never share the device.
  const theirs = JSON.parse(execFileSync(args.python, [path.join(__dirname, 'gpu_reference.py'),
    JSON.stringify({ cmd: 'bench', device, threads: runtimeInfo().threads, lines })],
  { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()).rates;
  const rows = [];
  for (const [i, l] of lines.entries()) {
    const a = await ours(l);
    const o = l.options;
    const settings = [l.amp ? `${l.amp} autocast` : 'fp32', l.channelsLast ? 'channels_last' : 'NCHW'].join(', ');
    rows.push({
      line: `${o.arch} ${o.attention} 3×${l.shape[2]}×${l.shape[3]} batch ${l.shape[0]}`, settings,
      ours: median(a), pytorch: median(theirs[i]), oursRuns: a, pytorchRuns: theirs[i],
      warmup: l.warmup, steps: l.steps, repeats: l.repeats,
    });
    console.error(`  measured ${rows[i].line}: ${rows[i].ours.toFixed(1)} vs ${rows[i].pytorch.toFixed(1)} img/s`);
  }
  console.log(`\ntraining step (forward + backward + SGD momentum) img/s on ${device}, median of ${lines[0].repeats} after warm-up\n`);
  console.log('| line | settings (both sides) | senet-lab img/s | PyTorch eager img/s | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.line} | ${r.settings} | ${r.ours.toFixed(1)} | ${r.pytorch.toFixed(1)} | ${(r.ours / r.pytorch).toFixed(2)}× |`);
  console.log(JSON.stringify({ bench: rows.map((r) => ({ ...r, ratio: r.ours / r.pytorch })) }));
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
