// One training run in a fresh process, reporting resident memory: after
// loading the library (baseline) and the peak (VmHWM) after the run.
// Spawned by bench/memory.js; argv[2] is the JSON request.
const fs = require('fs');
const { createModel, runtimeInfo, train } = require('./senet');

const kib = (field) => Number(/(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)))[1]);

async function main() {
  const req = JSON.parse(process.argv[2]);
  runtimeInfo(); // loads the addon and libtorch, as `import torch` does on the other side
  const baseline = kib('VmRSS:');
  const shape = req.shape;
  const images = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 1000) / 1000);
  const labels = Int32Array.from({ length: shape[0] }, (_, i) => i % 10);
  const model = createModel({ ...req.options, seed: 0 });
  await train({ model, data: { train: { images, labels, shape } }, batchSize: shape[0], shuffle: false, iterations: req.steps, logEvery: req.steps,
    optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 } });
  process.stdout.write(`${JSON.stringify({ baselineMiB: baseline / 1024, peakMiB: kib('VmHWM:') / 1024 })}\n`);
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
