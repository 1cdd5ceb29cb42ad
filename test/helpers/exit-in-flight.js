// Ends the process (or a worker) while native work is still running, as a
// host might: `node exit-in-flight.js <scenario>`. The test expects exit code
// 0 (or the code the scenario passes to process.exit), no signal, and says
// how long the exit took.
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const senet = require(path.join(__dirname, '..', '..', 'dist', 'lib'));

const SIDE = 16;
const modelOptions = { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 4, seed: 1 };

function data(n) {
  const images = new Float32Array(n * SIDE * SIDE).map((_, i) => Math.sin(i / 5));
  const labels = new Int32Array(n).map((_, i) => i % 4);
  return { images, labels, shape: [n, 1, SIDE, SIDE] };
}

// Starts work that would take minutes and returns once it is running on the compute thread.
async function startLongWork(kind, report) {
  const model = senet.createModel(modelOptions);
  if (kind === 'train') {
    let steps = 0;
    senet.train({ model, data: { train: data(64) }, iterations: 100000, batchSize: 16, logEvery: 1, optimizer: { type: 'sgd', lr: 0.01 } },
      { onEvent: (e) => { if (e.type === 'step' && ++steps === 2) report('running'); } }).catch(() => {});
  } else {
    // Many queued predicts of a large batch: one is running, the rest wait.
    const input = new Float32Array(16 * SIDE * SIDE * 4).fill(0.5);
    for (let i = 0; i < 200; i++) model.predict(input, [16, 1, SIDE * 2, SIDE * 2]).catch(() => {});
    setTimeout(() => report('running'), 200);
  }
}

if (isMainThread) {
  const scenario = process.argv[2];
  const started = Date.now();
  process.on('exit', (code) => console.log(JSON.stringify({ scenario, exitCode: code, exitMs: Date.now() - started })));
  if (scenario === 'exit-during-train' || scenario === 'exit-during-predict') {
    startLongWork(scenario === 'exit-during-train' ? 'train' : 'predict', () => process.exit(0));
  } else if (scenario.startsWith('worker-')) {
    // worker-exit-*: the worker calls process.exit(); worker-terminate-*: the main thread terminates it;
    // worker-mainexit-*: the main thread calls process.exit() while the worker works.
    const [, how, kind] = scenario.split('-');
    const worker = new Worker(__filename, { workerData: { kind, how } });
    worker.on('error', (e) => { console.error(e); process.exitCode = 1; });
    worker.on('message', async () => {
      if (how === 'terminate') await worker.terminate();
      else if (how === 'mainexit') process.exit(0);
    });
    worker.on('exit', (code) => console.log(JSON.stringify({ workerExit: code, ms: Date.now() - started })));
  } else {
    console.error(`unknown scenario ${scenario}`);
    process.exit(2);
  }
} else {
  startLongWork(workerData.kind, () => (workerData.how === 'exit' ? process.exit(0) : parentPort.postMessage('running')));
}
