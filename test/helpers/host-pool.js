// A host's own thread-pool work while senet-lab trains and serves: `node host-pool.js`, run with the
// UV_THREADPOOL_SIZE the test chooses. Prints one JSON line with the measured latencies (milliseconds).
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const senet = require(path.join(__dirname, '..', '..', 'dist', 'lib'));

const SIDE = 32;
const IN_FLIGHT = 8;
const ROUNDS = 3;
const BATCH = 32;

const elapsed = (start) => performance.now() - start;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// The host's calls that go through libuv's thread pool: a file read and a key derivation.
function hostCalls(file) {
  const started = performance.now();
  const readFile = fs.promises.readFile(file).then(() => elapsed(started));
  const pbkdf2 = new Promise((resolve, reject) =>
    crypto.pbkdf2('secret', 'salt', 1000, 32, 'sha256', (error) => (error ? reject(error) : resolve(elapsed(started)))));
  return Promise.all([readFile, pbkdf2]);
}

// IN_FLIGHT predicts issued at once; resolves with each one's latency, and counts how many are still pending.
function predictBurst(predict, pending) {
  return Promise.all(Array.from({ length: IN_FLIGHT }, () => {
    const started = performance.now();
    pending.count++;
    return predict().then(() => { pending.count--; return elapsed(started); });
  }));
}

async function main() {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'senet-host-')), 'small.json');
  fs.writeFileSync(file, JSON.stringify({ small: true }));
  const served = senet.createModel({ arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4, seed: 2 });
  const input = new Float32Array(SIDE * SIDE).map((_, i) => Math.sin(i / 7));
  const predict = () => served.predict(input, [1, 1, SIDE, SIDE]);
  await predict();
  // Idle: the slowest of IN_FLIGHT predicts issued at once, with nothing else running.
  const idleBursts = [];
  for (let round = 0; round < ROUNDS; round++) idleBursts.push(Math.max(...(await predictBurst(predict, { count: 0 }))));
  const idleHost = [];
  for (let round = 0; round < ROUNDS; round++) idleHost.push(Math.max(...(await hostCalls(file))));

  const images = new Float32Array(256 * SIDE * SIDE).map((_, i) => Math.sin(i / 5));
  const labels = new Int32Array(256).map((_, i) => i % 4);
  const trained = senet.createModel({ arch: 'resnet18', stem: 'cifar', attention: 'none', inChannels: 1, numClasses: 4, seed: 1 });
  const stop = new AbortController();
  const steps = [];
  let ended = false;
  const run = senet.train({ model: trained, data: { train: { images, labels, shape: [256, 1, SIDE, SIDE] } }, iterations: 100000,
    batchSize: BATCH, logEvery: 1, optimizer: { type: 'sgd', lr: 0.01 } },
  { signal: stop.signal, onEvent: (e) => { if (e.type === 'step') steps.push((1000 * BATCH) / e.imagesPerSecond); } })
    .finally(() => { ended = true; });
  while (steps.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const pending = { count: 0 };
    const burst = predictBurst(predict, pending);
    const [readFileMs, pbkdf2Ms] = await hostCalls(file);
    const pendingWhenHostAnswered = pending.count;
    rounds.push({ readFileMs, pbkdf2Ms, pendingWhenHostAnswered, predictMs: await burst, trainingRan: !ended });
  }
  stop.abort();
  await run;
  console.log(JSON.stringify({
    threadPool: process.env.UV_THREADPOOL_SIZE ?? 'default',
    idleBurstMs: median(idleBursts), idleHostMs: Math.max(...idleHost), longestStepMs: Math.max(...steps), rounds,
  }));
}

main().catch((error) => { console.error(error); process.exit(1); });
