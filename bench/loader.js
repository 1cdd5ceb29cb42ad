// Loader benchmark: senet-lab's native loader vs torchvision's ImageFolder /
// FashionMNIST + DataLoader with the same transforms and worker counts,
// measured in the same run, plus resnet18 training consumption for the
// "loader ≥ 3× training" target.   npm run bench:loader [-- --quick]
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { dataset, train } = require('./senet');

const quick = process.argv.includes('--quick');
const PYTHON = process.env.SENET_PYTHON ?? '/usr/bin/python3';
const work = path.join(os.tmpdir(), 'senet-lab-bench');
fs.mkdirSync(work, { recursive: true });

function torchvision(request) {
  const out = execFileSync(PYTHON, [path.join(__dirname, 'loader_reference.py'), JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

async function ours(spec, workers, batch, batches) {
  const ds = await dataset(spec);
  const out = {};
  for (const w of workers) {
    await ds.batch({ batchSize: batch, workers: w, seed: 1 }, 0, 1); // warm-up
    const r = await ds.batch({ batchSize: batch, workers: w, seed: 1 }, 1, batches);
    out[w] = (batches * batch) / r.seconds;
  }
  return out;
}

async function trainingConsumption(side, batch, iterations) {
  const n = batch * 4;
  const images = new Uint8Array(n * 3 * side * side).map((_, i) => (i * 31) % 256);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const r = await train({
    model: { arch: 'resnet18', numClasses: 10, seed: 0 },
    data: { train: { images, labels, shape: [n, 3, side, side] } },
    iterations, batchSize: batch, logEvery: iterations,
  });
  return r.imagesPerSecond;
}

async function main() {
  const workers = [1, 2];
  const batch = 64;
  const batches = quick ? 3 : 30;
  const perClass = quick ? 5 : 100;
  const rows = [];
  for (const side of [64, 224]) {
    const root = path.join(work, `folder-${side}-${perClass}`);
    torchvision({ kind: 'folder', root, side, classes: 20, perClass, generateOnly: true });
    const spec = { type: 'imagefolder', root, transforms: [{ type: 'randomResizedCrop', size: side }, { type: 'hflip' }, { type: 'normalize', preset: 'imagenet' }] };
    const a = await ours(spec, workers, batch, batches);
    const b = torchvision({ kind: 'folder', root, side, classes: 20, perClass, batch, batches, workers });
    const consumption = await trainingConsumption(side, 8, quick ? 2 : side === 64 ? 30 : 6);
    for (const w of workers) {
      rows.push({ data: `ImageFolder ${20 * perClass} JPEGs ${side}×${side}, RRC+flip+normalize`, workers: w, ours: a[w], torchvision: b[w], trainingImgPerSec: consumption });
    }
  }
  const fashionSpec = { type: 'fashion-mnist', transforms: [{ type: 'randomCrop', size: 28, padding: 2 }, { type: 'hflip' }, { type: 'normalize', preset: 'fashion-mnist' }] };
  const fa = await ours(fashionSpec, workers, batch, quick ? 5 : 200);
  const fb = torchvision({ kind: 'fashion', root: path.join(work, 'fashion'), batch, batches: quick ? 5 : 100, workers });
  for (const w of workers) rows.push({ data: 'Fashion-MNIST 28×28, crop+flip+normalize', workers: w, ours: fa[w], torchvision: fb[w] });

  console.log(`\n| data | workers | senet-lab img/s | torchvision img/s | ratio | resnet18 training img/s (batch 8) | loader ÷ training |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    const train = r.trainingImgPerSec ? `${r.trainingImgPerSec.toFixed(0)}` : '—';
    const headroom = r.trainingImgPerSec ? `${(r.ours / r.trainingImgPerSec).toFixed(1)}×` : '—';
    console.log(`| ${r.data} | ${r.workers} | ${r.ours.toFixed(0)} | ${r.torchvision.toFixed(0)} | ${(r.ours / r.torchvision).toFixed(2)}× | ${train} | ${headroom} |`);
  }
  if (!quick) {
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'loader.json'), JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 2));
  }
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
