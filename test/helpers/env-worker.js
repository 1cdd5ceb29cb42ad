// One environment's share of the worker_threads test: creates a small model,
// trains it a few steps and predicts, in whatever thread loads it (the main
// thread or a worker_threads Worker). `node env-worker.js` runs the main
// thread's share alongside WORKERS workers and prints one JSON line per
// environment, then `done`; the test compares them.
const path = require('path');
const { Worker, isMainThread, parentPort, workerData, threadId } = require('worker_threads');
const senet = require(path.join(__dirname, '..', '..', 'dist', 'lib'));

const SIDE = 16;
const CLASSES = 4;

// Deterministic pattern data (same for every environment with the same seed).
function patternData(n, seed) {
  const images = new Float32Array(n * SIDE * SIDE);
  const labels = new Int32Array(n);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    labels[i] = i % CLASSES;
    for (let p = 0; p < SIDE * SIDE; p++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      images[i * SIDE * SIDE + p] = Math.sin(((labels[i] + 1) * p) / SIDE) + 0.3 * (state / 4294967296 - 0.5);
    }
  }
  return { images, labels, shape: [n, 1, SIDE, SIDE] };
}

// Creates, trains `steps` steps and predicts; the result identifies the environment's model by its outputs.
async function createTrainPredict(seed, steps) {
  const model = senet.createModel({ arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: CLASSES, seed });
  const result = await senet.train({ model, data: { train: patternData(32, seed) }, iterations: steps, batchSize: 8, seed, optimizer: { type: 'sgd', lr: 0.05 } });
  const input = patternData(2, 99).images;
  const logits = Array.from(await model.predict(input, [2, 1, SIDE, SIDE]));
  model.dispose();
  return { seed, steps, iterations: result.iterations, logits };
}

if (isMainThread) {
  const workers = Number(process.env.WORKERS ?? 3);
  const steps = Number(process.env.STEPS ?? 3);
  const started = [];
  for (let i = 0; i < workers; i++) {
    started.push(new Promise((resolve, reject) => {
      const worker = new Worker(__filename, { workerData: { seed: 10 + i, steps } });
      let message;
      worker.on('message', (m) => { message = m; });
      worker.on('error', reject);
      worker.on('exit', (code) => (code === 0 && message ? resolve({ thread: 'worker', threadId: worker.threadId, ...message }) : reject(new Error(`worker ${i} exited with ${code}`))));
    }));
  }
  // The main thread's own run, concurrently with the workers (seed 10: the same as worker 0's).
  started.push(createTrainPredict(10, steps).then((r) => ({ thread: 'main', threadId, ...r })));
  Promise.all(started)
    .then(async (results) => {
      for (const r of results) console.log(JSON.stringify(r));
      // The other workers' seeds again on the main thread, after the workers ended: the reference values.
      for (let i = 1; i < workers; i++) console.log(JSON.stringify({ thread: 'reference', threadId, ...(await createTrainPredict(10 + i, steps)) }));
      console.log(JSON.stringify({ type: 'done' }));
    })
    .catch((error) => {
      console.error(error.stack);
      process.exitCode = 1;
    });
} else {
  createTrainPredict(workerData.seed, workerData.steps).then((r) => parentPort.postMessage(r));
}
