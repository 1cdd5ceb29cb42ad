// Serving while training: the latency of predict calls issued during a
// train() (answered at the run's step boundaries) against their idle latency
// and the run's step time, and the run's throughput alone and while serving.
//   node bench/serve.js [--quick | --smoke] [--out DIR]
const { createModel, runtimeInfo, train } = require('./senet');
const { benchMode, machine, runStandalone, stats, writeResult } = require('./harness');

function sizes(mode) {
  if (mode.smoke) return { served: [1, 3, 32, 32], trainSide: 12, batch: 8, steps: 8, idleCalls: 3 };
  // The Fashion-MNIST 3×3-stem line trains; a 224×224 ResNet-18 answers single images.
  return { served: [1, 3, 224, 224], trainSide: 28, batch: 64, steps: mode.quick ? 20 : 40, idleCalls: 10 };
}

async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** One training run of `steps` steps; `during` runs until the run ends. Returns per-step ms and the run's img/s. */
async function trainingRun(size, during) {
  const n = size.batch * 4;
  const side = size.trainSide;
  const images = new Float32Array(n * side * side).map((_, i) => Math.sin(i * 0.37));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const stepMs = [];
  let ended = false;
  const run = train(
    { model: { arch: 'resnet18', stem: 'cifar', attention: 'se', inChannels: 1, numClasses: 10, seed: 1 }, data: { train: { images, labels, shape: [n, 1, side, side] } },
      iterations: size.steps + 1, batchSize: size.batch, logEvery: 1, seed: 1 },
    { onEvent: (e) => { if (e.type === 'step' && e.iteration > 1) stepMs.push((1000 * size.batch) / e.imagesPerSecond); } },
  ).finally(() => { ended = true; });
  const served = during ? await during(() => ended) : [];
  const result = await run;
  return { stepMs, imagesPerSecond: result.imagesPerSecond, served };
}

async function main(mode) {
  const size = sizes(mode);
  const threads = runtimeInfo().threads;
  const model = createModel({ arch: 'resnet18', attention: 'se', numClasses: 10, seed: 2 });
  const input = new Float32Array(size.served.reduce((a, b) => a * b, 1)).fill(0.5);
  const predict = () => model.predict(input, size.served);
  await predict();
  const idle = [];
  for (let i = 0; i < size.idleCalls; i++) idle.push(await timed(predict));

  const alone = await trainingRun(size);
  const serving = await trainingRun(size, async (ended) => {
    const latencies = [];
    while (!ended()) {
      const ms = await timed(predict);
      if (!ended()) latencies.push(ms); // a call that waited for the run's end says nothing about step boundaries
    }
    return latencies;
  });
  model.dispose();
  const idleStats = stats(idle);
  const stepStats = stats(alone.stepMs);
  const duringStats = stats(serving.served);
  const bound = Math.max(...serving.stepMs) + 3 * idleStats.median;
  const row = {
    served: `resnet18 ${size.served.slice(1).join('×')} batch ${size.served[0]}`,
    training: `resnet18 3×3 stem 1×${size.trainSide}×${size.trainSide} batch ${size.batch}`,
    idleMs: idleStats, stepMs: stepStats, duringTrainingMs: duringStats, boundMs: bound, withinBound: duringStats.max <= bound,
    trainImagesPerSecond: { alone: alone.imagesPerSecond, serving: serving.imagesPerSecond },
  };
  const f = (v) => v.toFixed(1);
  const table = [
    '| served call | idle ms (median) | training step ms (median, max) | during training ms (median, max) | bound: max step + 3 × idle | training img/s alone / while serving |',
    '|---|---|---|---|---|---|',
    `| ${row.served} while training ${row.training} | ${f(idleStats.median)} | ${f(stepStats.median)}, ${f(stepStats.max)} | ${f(duringStats.median)}, ${f(duringStats.max)} (${duringStats.runs.length} calls) | ${f(bound)} ${row.withinBound ? '(met)' : '(NOT met)'} | ${f(alone.imagesPerSecond)} / ${f(serving.imagesPerSecond)} |`,
  ].join('\n');
  const title = `Predict while training, ${threads} threads`;
  console.log(`\n${title}\n\n${table}\n`);
  writeResult(mode, 'serve', { ...machine(threads), rows: [row] });
  return { title, table, rows: [row] };
}

module.exports = { main };
runStandalone(module, main);
