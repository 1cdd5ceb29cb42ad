// Inference throughput: Model.predict vs PyTorch eager (eval, inference_mode),
// same model, batch, input and threads; and the cost of crossing N-API:
// a batch-1 predict timed from JS vs the same forward timed inside native code.
//   node bench/predict.js [--quick | --smoke] [--out DIR]
const { performance } = require('perf_hooks');
const { createModel, nativeTimePredict, runtimeInfo } = require('./senet');
const { Reference, formatStat, interleaved, machine, markdownTable, runStandalone, stats, writeResult } = require('./harness');

function lines(mode) {
  if (mode.smoke) return [{ arch: 'resnet18', side: 32, batch: 1 }];
  return [
    { arch: 'resnet18', side: 224, batch: 1 },
    { arch: 'resnet18', side: 224, batch: 32 },
    { arch: 'resnet50', side: 224, batch: 1 },
    { arch: 'resnet50', side: 224, batch: 32 },
  ];
}

async function jsPredictSeconds(model, input, shape, iterations) {
  const seconds = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await model.predict(input, shape);
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

const rate = (batch, seconds) => (batch * seconds.length) / seconds.reduce((a, b) => a + b, 0);

async function measureLine(reference, mode, line) {
  const options = { arch: line.arch, attention: 'none', numClasses: 1000 };
  const shape = [line.batch, 3, line.side, line.side];
  const input = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
  const model = createModel({ ...options, seed: 0 });
  await reference.call({ cmd: 'predict_setup', options, shape });
  const warm = await jsPredictSeconds(model, input, shape, 2);
  await reference.call({ cmd: 'predict_rep', iterations: 2 });
  const iterations = Math.max(1, Math.round(mode.secondsPerRep / Math.min(...warm)));
  const [ours, pytorch] = await interleaved(
    mode.repeats,
    async () => rate(line.batch, await jsPredictSeconds(model, input, shape, iterations)),
    async () => rate(line.batch, (await reference.call({ cmd: 'predict_rep', iterations })).seconds),
  );
  // N-API crossing: per-call medians of JS-timed vs natively timed predicts, interleaved.
  let crossing = null;
  if (line.batch === 1) {
    const js = [];
    const native = [];
    await interleaved(
      mode.repeats,
      async () => js.push(...(await jsPredictSeconds(model, input, shape, iterations))),
      async () => native.push(...(await nativeTimePredict(model, shape, iterations))),
    );
    const a = stats(js).median;
    const b = stats(native).median;
    crossing = { jsMedianMs: 1000 * a, nativeMedianMs: 1000 * b, overhead: (a - b) / a };
  }
  model.dispose();
  return { line: `${line.arch} 3×${line.side}×${line.side} batch ${line.batch}`, shape, iterations, ours, pytorch, ratio: ours.median / pytorch.median, crossing };
}

async function main(mode) {
  const threads = runtimeInfo().threads;
  const reference = new Reference(threads, mode);
  const rows = [];
  try {
    for (const line of lines(mode)) {
      const row = await measureLine(reference, mode, line);
      rows.push(row);
      console.error(`predict: ${row.line}: ${row.ours.median.toFixed(1)} vs ${row.pytorch.median.toFixed(1)} img/s (${row.ratio.toFixed(2)}×)`);
    }
  } finally {
    reference.close();
  }
  const title = `Predict (eval, no grad), img/s, ${threads} threads, median (range) of ${mode.repeats} interleaved repetitions`;
  const table = markdownTable(
    ['line', 'senet-lab img/s', 'PyTorch eager img/s', 'ratio'],
    rows.map((r) => [r.line, formatStat(r.ours), formatStat(r.pytorch), `**${r.ratio.toFixed(2)}×**`]),
  );
  const crossingTable = markdownTable(
    ['line', 'predict() from JS, ms', 'same forward timed in native code, ms', 'N-API overhead'],
    rows.filter((r) => r.crossing).map((r) => [r.line, r.crossing.jsMedianMs.toFixed(3), r.crossing.nativeMedianMs.toFixed(3), `**${(100 * r.crossing.overhead).toFixed(2)}%**`]),
  );
  console.log(`\n${title}\n\n${table}\n\nCost of crossing N-API (per-call medians)\n\n${crossingTable}\n`);
  writeResult(mode, 'predict', { ...machine(threads), repeats: mode.repeats, rows });
  return { title, table, crossingTable, rows };
}

module.exports = { main };
runStandalone(module, main);
