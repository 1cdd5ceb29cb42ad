// Training throughput: senet-lab (native loop) vs PyTorch eager (Debian
// python3-torch), same model, batch, input size and thread count, measured in
// the same run. Median of several timed repetitions after a warm-up.
//   node bench/train.js [--quick]
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createModel, runtimeInfo, train } = require('..');

const quick = process.argv.includes('--quick');
const PYTHON = process.env.SENET_PYTHON ?? '/usr/bin/python3';
const threads = runtimeInfo().threads;

const lines = [
  ['resnet18', 'imagenet', 'none', 3, 64, 8],
  ['resnet18', 'imagenet', 'se', 3, 64, 8],
  ['resnet18', 'imagenet', 'dual-add', 3, 64, 8],
  ['resnet50', 'imagenet', 'none', 3, 64, 8],
  ['resnet18', 'imagenet', 'none', 3, 32, 64],
  ['resnet18', 'cifar', 'se', 1, 28, 64],
].map(([arch, stem, attention, channels, side, batch]) => ({
  options: { arch, stem, attention, inChannels: channels, numClasses: 10 },
  shape: [batch, channels, side, side],
  warmup: quick ? 1 : 3,
  steps: quick ? 1 : Math.max(2, Math.round(240 / batch)),
  repeats: quick ? 1 : 3,
}));

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function ours(line) {
  const [n, c, h, w] = line.shape;
  const images = new Float32Array(n * c * h * w).map(() => Math.random());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const model = createModel({ ...line.options, seed: 0 });
  const data = { train: { images, labels, shape: line.shape } };
  const common = { model, data, batchSize: n, shuffle: false, optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 } };
  await train({ ...common, iterations: line.warmup, logEvery: line.warmup });
  const rates = [];
  for (let r = 0; r < line.repeats; r++) {
    const result = await train({ ...common, iterations: line.steps, logEvery: line.steps });
    rates.push(result.imagesPerSecond);
  }
  model.dispose();
  return rates;
}

async function main() {
  const theirs = JSON.parse(execFileSync(PYTHON, [path.join(__dirname, 'train_reference.py'), JSON.stringify({ threads, lines })], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop());
  const rows = [];
  for (let i = 0; i < lines.length; i++) {
    const a = await ours(lines[i]);
    const o = lines[i].options;
    rows.push({ line: `${o.arch} ${o.stem} ${o.attention} ${lines[i].shape.slice(1).join('×')} batch ${lines[i].shape[0]}`, ours: median(a), pytorch: median(theirs[i]), oursRuns: a, pytorchRuns: theirs[i] });
  }
  console.log(`\ntraining step (forward + backward + SGD) img/s, ${threads} threads, median of ${lines[0].repeats}\n`);
  console.log('| line | senet-lab | PyTorch eager | ratio |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.line} | ${r.ours.toFixed(1)} | ${r.pytorch.toFixed(1)} | ${(r.ours / r.pytorch).toFixed(2)}× |`);
  if (!quick) {
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'train.json'), JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, threads, rows }, null, 2));
  }
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
