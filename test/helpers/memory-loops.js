// Long loops for the memory test, in a child process started with
// --expose-gc and a fixed young generation (memory.test.ts NODE_FLAGS):
// `node --expose-gc memory-loops.js <loop>` prints one JSON line
// with the RSS (MB) after warm-up and at the end. Counts come from the
// environment (SENET_MEMORY_PREDICTS, _TRAIN_ITERATIONS, _CYCLES, _DROPPED) so
// CI can shorten them; test/memory.test.ts states the bounds.
const path = require('path');
const senet = require(path.join(__dirname, '..', '..', 'dist', 'lib'));

// Small model and input: the loops measure what each call leaks, not how fast it is.
// One intra-op thread: per-call overhead is what matters here, and a team of threads on busy cores only adds waits.
senet.setThreads(1);

const SIDE = 8;
// The imagenet stem downsamples 4× at once: the rest of the network runs on 2×2 and 1×1 maps.
const modelOptions = { arch: 'resnet18', stem: 'imagenet', attention: 'se', inChannels: 1, numClasses: 4, seed: 1 };
const count = (name, fallback) => Number(process.env[`SENET_MEMORY_${name}`] ?? fallback);
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const heapMb = () => process.memoryUsage().heapTotal / 2 ** 20;
// The test addon (SENET_ADDON) counts the native models alive in the process.
const liveModels = () => require(path.resolve(process.env.SENET_ADDON)).liveModels();

// The test addon (SENET_ADDON) hands malloc's free pages back to the OS on request.
const trimMalloc = () => require(path.resolve(process.env.SENET_ADDON)).trimMalloc();

// Before a reading: GC (finalizers free dropped models), then malloc's free pages back to the OS, so the RSS
// counts live memory rather than what glibc keeps for reuse (its arenas fragment differently from run to run).
async function settle() {
  for (let i = 0; i < 3; i++) global.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  trimMalloc();
}

// Runs `step(i)` `warmup` times, records the RSS (after GC), runs it `n` times more and records it again.
// The child runs with a fixed V8 young generation (memory.test.ts), so V8 growing its heap for the loop's
// garbage (promises, result arrays: 20 → 36 MB over the first predicts) does not show as growth.
async function measure(loop, n, warmup, step) {
  const started = Date.now();
  for (let i = 0; i < warmup; i++) await step(i);
  await settle();
  const warmRss = rssMb();
  const warmHeapMb = heapMb();
  const sampled = [];
  for (let i = 0; i < n; i++) {
    await step(i);
    if (i % Math.max(1, Math.floor(n / 10)) === 0) sampled.push(Math.round(rssMb()));
  }
  await settle();
  const endRss = rssMb();
  return {
    loop, count: n, warmup, warmRssMb: warmRss, endRssMb: endRss, growthMb: endRss - warmRss, sampledRssMb: sampled,
    warmHeapMb, endHeapMb: heapMb(), seconds: (Date.now() - started) / 1000,
  };
}

function data(n) {
  const images = new Float32Array(n * SIDE * SIDE).map((_, i) => Math.sin(i / 3) + ((i * 7919) % 13) / 13);
  const labels = new Int32Array(n).map((_, i) => i % 4);
  return { images, labels, shape: [n, 1, SIDE, SIDE] };
}

const loops = {
  async predict() {
    const model = senet.createModel(modelOptions);
    const input = new Float32Array(SIDE * SIDE).fill(0.25);
    const result = await measure('predict', count('PREDICTS', 10000), 1000, () => model.predict(input, [1, 1, SIDE, SIDE]));
    model.dispose();
    return result;
  },
  async train() {
    // A warm-up train() call, then one train() call of N iterations: the loop (batches, steps, optimizer state) is
    // what must stay flat. Both readings come after a call has returned and settle() has run, so no step is in
    // flight: read during a run (at step events), the RSS counted that step's activations and gradients, and
    // untrimmed it took a one-off step of up to ~27 MB some 50–150 iterations after the warm-up in some runs
    // (glibc settling into its footprint under the addon's 1 GiB trim threshold), flat after it. The samples
    // taken during the measured call are untrimmed.
    const model = senet.createModel(modelOptions);
    const iterations = count('TRAIN_ITERATIONS', 2000);
    const warmup = 100;
    const trainData = { train: data(64) };
    const run = (n, onEvent) => senet.train({ model, data: trainData, iterations: n, batchSize: 4, logEvery: 1, optimizer: { type: 'sgd', lr: 0.01 } }, { onEvent });
    const started = Date.now();
    const warm = await run(warmup, () => {});
    await settle();
    const warmRss = rssMb();
    const sampled = [];
    const every = Math.max(1, Math.floor(iterations / 10));
    const result = await run(iterations, (e) => {
      if (e.type === 'step' && e.iteration % every === 0) sampled.push(Math.round(rssMb()));
    });
    await settle();
    const endRss = rssMb();
    model.dispose();
    return { loop: 'train', count: iterations, warmup, warmRssMb: warmRss, endRssMb: endRss, growthMb: endRss - warmRss, sampledRssMb: sampled, iterations: warm.iterations + result.iterations, seconds: (Date.now() - started) / 1000 };
  },
  async cycles() {
    const input = new Float32Array(SIDE * SIDE).fill(0.25);
    const result = await measure('cycles', count('CYCLES', 1000), 20, async (i) => {
      const model = senet.createModel({ ...modelOptions, seed: i });
      if (i % 10 === 0) await model.predict(input, [1, 1, SIDE, SIDE]);
      model.dispose();
    });
    return { ...result, liveModelsAfter: liveModels() };
  },
  async dropped() {
    // Models dropped without dispose(): their finalizers must free them once the GC collects the JS objects.
    const n = count('DROPPED', 50);
    const before = liveModels();
    for (let i = 0; i < n; i++) senet.createModel({ ...modelOptions, seed: i });
    const whileReferenced = liveModels() - before;
    const rssBeforeGc = rssMb();
    await settle();
    await settle();
    return { loop: 'dropped', count: n, liveBefore: before, createdAlive: whileReferenced, liveAfterGc: liveModels() - before, rssBeforeGcMb: rssBeforeGc, rssAfterGcMb: rssMb() };
  },
};

const name = process.argv[2];
if (!loops[name] || typeof global.gc !== 'function') {
  console.error(`usage: node --expose-gc memory-loops.js ${Object.keys(loops).join('|')}`);
  process.exit(2);
}
loops[name]().then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.stack); process.exit(1); });
