// Inference throughput: Model.predict vs PyTorch eager (eval, inference_mode),
// PyTorch's inference path (traced, torch.jit.freeze + optimize_for_inference)
// and onnxruntime-node running our ONNX export; same model, batch, input and
// threads, repetitions interleaved; each side's achieved GFLOP/s and its
// fraction of this machine's measured peak (peakProbe). And the cost
// of crossing N-API: a batch-1 predict timed from JS vs the same forward timed
// inside native code.
//   node bench/predict.js [--quick | --smoke] [--out DIR]
const { performance } = require('perf_hooks');
const { resnetFlops } = require('./flops');
const { peakLine, predictTable } = require('./predict-table');
const { onnxruntime, ortPredictor } = require('./onnxruntime');
const { createModel, nativeTimePredict, peakProbe, runtimeInfo } = require('./senet');
const { Reference, formatStat, interleaved, interleavedAll, machine, markdownTable, runStandalone, stats, writeResult } = require('./harness');

function lines(mode) {
  if (mode.smoke) return [{ arch: 'resnet18', side: 32, batch: 1 }];
  return [
    { arch: 'resnet18', side: 224, batch: 1 },
    { arch: 'resnet18', side: 224, batch: 32 },
    { arch: 'resnet50', side: 224, batch: 1 },
    { arch: 'resnet50', side: 224, batch: 32 },
  ];
}

async function jsPredictSeconds(model, input, shape, iterations, options = {}) {
  const seconds = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await model.predict(input, shape, options);
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

const rate = (batch, seconds) => (batch * seconds.length) / seconds.reduce((a, b) => a + b, 0);

/** max|a − b| / max|b| over the first values of two logit arrays. */
function relativeDifference(a, b) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

async function measureLine(reference, mode, line, threads, bf16) {
  const options = { arch: line.arch, attention: 'none', numClasses: 1000 };
  const shape = [line.batch, 3, line.side, line.side];
  const input = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
  const model = createModel({ ...options, seed: 0 });
  await reference.call({ cmd: 'predict_setup', options, shape, variant: 'eager' });
  await reference.call({ cmd: 'predict_setup', options, shape, variant: 'frozen' });
  const ort = onnxruntime();
  const onnx = ort ? await ortPredictor(ort, model, input, shape, threads) : null;
  // The ORT session runs our export of this very model: its logits must be ours, or its timing means nothing.
  const ortDifference = onnx ? relativeDifference(await onnx.logits(), await model.predict(input, shape)) : null;
  if (ortDifference !== null && !(ortDifference <= 1e-4)) throw new Error(`onnxruntime-node's logits differ from ours by ${ortDifference} (relative)`);
  const warm = await jsPredictSeconds(model, input, shape, 2);
  await reference.call({ cmd: 'predict_rep', iterations: 2, variant: 'eager' });
  await reference.call({ cmd: 'predict_rep', iterations: 2, variant: 'frozen' });
  if (onnx) await onnx.seconds(2);
  const iterations = Math.max(1, Math.round(mode.secondsPerRep / Math.min(...warm)));
  if (bf16) await jsPredictSeconds(model, input, shape, 2, { amp: 'bf16' });
  const sides = [
    async () => rate(line.batch, await jsPredictSeconds(model, input, shape, iterations)),
    async () => rate(line.batch, (await reference.call({ cmd: 'predict_rep', iterations, variant: 'eager' })).seconds),
    async () => rate(line.batch, (await reference.call({ cmd: 'predict_rep', iterations, variant: 'frozen' })).seconds),
  ];
  sides.push(onnx ? async () => rate(line.batch, await onnx.seconds(iterations)) : async () => null);
  sides.push(bf16 ? async () => rate(line.batch, await jsPredictSeconds(model, input, shape, iterations, { amp: 'bf16' })) : async () => null);
  const [ours, pytorch, pytorchFrozen, onnxStat, bf16Stat] = await interleavedAll(mode.repeats, sides);
  const onnxruntimeNode = onnx ? onnxStat : null;
  const oursBf16 = bf16 ? bf16Stat : null;
  if (onnx) await onnx.release();
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
  const gflopPerImage = resnetFlops(options, line.side) / 1e9;
  const gflops = (s) => (s ? s.median * gflopPerImage : null);
  return {
    line: `${line.arch} 3×${line.side}×${line.side} batch ${line.batch}`, shape, iterations, gflopPerImage,
    ours, pytorch, pytorchFrozen, onnxruntime: onnxruntimeNode, onnxruntimeRelativeDifference: ortDifference, oursBf16,
    bf16Speedup: oursBf16 ? oursBf16.median / ours.median : null,
    ratio: ours.median / pytorch.median,
    ratioFrozen: ours.median / pytorchFrozen.median,
    ratioOnnxruntime: onnxruntimeNode ? ours.median / onnxruntimeNode.median : null,
    gflops: { ours: gflops(ours), pytorch: gflops(pytorch), pytorchFrozen: gflops(pytorchFrozen), onnxruntime: gflops(onnxruntimeNode) },
    crossing,
  };
}


async function main(mode) {
  const threads = runtimeInfo().threads;
  const reference = new Reference(threads, mode);
  const rows = [];
  // bf16 predict is timed where the CPU has native bf16 (elsewhere it is emulated and slower than float32).
  const bf16 = runtimeInfo().cpu?.bf16 === 'native';
  const probe = await peakProbe(mode.smoke ? 0.5 : 6);
  const peak = { ...probe, best: Math.max(probe.gemmGflops, probe.convGflops) };
  console.error(`predict: measured peak ${peak.best.toFixed(0)} GFLOP/s (GEMM ${probe.gemmGflops.toFixed(0)}, oneDNN conv ${probe.convGflops.toFixed(0)})`);
  try {
    for (const line of lines(mode)) {
      const row = await measureLine(reference, mode, line, threads, bf16);
      rows.push(row);
      const ort = row.onnxruntime ? `, onnxruntime-node ${row.onnxruntime.median.toFixed(1)} (${row.ratioOnnxruntime.toFixed(2)}×)` : ', onnxruntime-node not installed';
      const b16 = row.oursBf16 ? `; bf16 ${row.oursBf16.median.toFixed(1)} img/s (${row.bf16Speedup.toFixed(2)}× our float32)` : '';
      console.error(`predict: ${row.line}: ${row.ours.median.toFixed(1)} img/s vs PyTorch eager ${row.pytorch.median.toFixed(1)} (${row.ratio.toFixed(2)}×), ` +
        `frozen ${row.pytorchFrozen.median.toFixed(1)} (${row.ratioFrozen.toFixed(2)}×)${ort}${b16}`);
    }
  } finally {
    reference.close();
  }
  const title = `Predict (eval, no grad), img/s, ${threads} threads, median (range) of ${mode.repeats} interleaved repetitions; ratios are senet-lab ÷ the other side`;
  const table = `${predictTable(rows, peak.best)}\n\n${peakLine(peak)}`;
  const crossingTable = markdownTable(
    ['line', 'predict() from JS, ms', 'same forward timed in native code, ms', 'N-API overhead'],
    rows.filter((r) => r.crossing).map((r) => [r.line, r.crossing.jsMedianMs.toFixed(3), r.crossing.nativeMedianMs.toFixed(3), `**${(100 * r.crossing.overhead).toFixed(2)}%**`]),
  );
  console.log(`\n${title}\n\n${table}\n\nCost of crossing N-API (per-call medians)\n\n${crossingTable}\n`);
  writeResult(mode, 'predict', { ...machine(threads), repeats: mode.repeats, bf16: runtimeInfo().cpu?.bf16 ?? 'unknown', peak, rows });
  return { title, table, crossingTable, rows };
}

module.exports = { main };
runStandalone(module, main);
