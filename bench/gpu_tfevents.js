// Event-file cross-check for bench/gpu.sh: a short training run on the device
// writes its scalars with senet-lab's TensorBoard writer (the tags `senet-lab
// run` records), then Python's tensorboard reads the file back
// (bench/tfevents_check.py) and must find the same tags, steps and values — an
// independent reader for the writer.
//   node bench/gpu_tfevents.js --device cuda|cpu --python PY --work DIR
// Prints what it compared and a JSON summary (last line); exit status 0 when
// tensorboard read back exactly what was written, 1 when not, 2 when it broke.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');

const { values: args } = parseArgs({
  options: { device: { type: 'string' }, python: { type: 'string' }, work: { type: 'string' } },
});
const dist = process.env.SENET_DIST ?? path.join(__dirname, '..', 'dist', 'lib');
const { createModel, train } = require(dist);
const { EventWriter } = require(path.join(dist, 'record', 'tensorboard'));

function dataset(n, seed) {
  const shape = [n, 3, 16, 16];
  const images = new Float32Array(shape.reduce((a, b) => a * b));
  let s = seed;
  for (let i = 0; i < images.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    images[i] = s / 4294967296;
  }
  return { images, labels: Int32Array.from({ length: n }, (_, i) => i % 4), shape };
}

async function main() {
  fs.rmSync(args.work, { recursive: true, force: true });
  const board = new EventWriter(path.join(args.work, 'tensorboard'));
  const written = {};
  const record = (step, scalars) => {
    board.scalars(step, scalars);
    for (const [tag, value] of Object.entries(scalars)) (written[tag] ??= []).push([step, value]);
  };
  const model = createModel({ arch: 'resnet18', attention: 'se', numClasses: 4, seed: 3, device: args.device });
  await train(
    { model, data: { train: dataset(32, 1), test: dataset(16, 2) }, iterations: 6, batchSize: 8, logEvery: 1, evalEvery: 3,
      optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9 } },
    { onEvent: (e) => {
      // The same tags as a recorded run (lib/record/recorded-train.ts).
      if (e.type === 'step') record(e.iteration, { 'train/loss': e.loss, 'train/lr': e.lr, 'train/images_per_second': e.imagesPerSecond });
      else if (e.type === 'eval') record(e.iteration, { 'eval/top1': e.top1, 'eval/top5': e.top5, 'eval/loss': e.loss });
    } },
  );
  model.dispose();
  const expected = path.join(args.work, 'expected.json');
  fs.writeFileSync(expected, JSON.stringify(written));
  let verdict;
  try {
    const out = execFileSync(args.python, [path.join(__dirname, 'tfevents_check.py'), board.file, expected], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    verdict = JSON.parse(out.trim().split('\n').pop());
  } catch (error) {
    const out = String(error.stdout ?? '').trim().split('\n').pop();
    if (!out || !out.startsWith('{')) throw error;
    verdict = JSON.parse(out);
  }
  for (const line of verdict.problems) console.log(`  ${line}`);
  console.log(`${verdict.pass ? 'ok  ' : 'FAIL'} ${verdict.tags} tags, ${verdict.points} scalars read back by tensorboard ${verdict.tensorboard} from ${path.basename(board.file)}`);
  console.log(JSON.stringify({ tfevents: verdict }));
  process.exitCode = verdict.pass ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
