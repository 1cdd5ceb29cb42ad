// The predict benchmark's table, from its result rows: written by
// bench/predict.js and rebuilt by the docs generator from
// bench/results/predict.json (rows recorded before a column existed show —).
// `peak` is the machine's measured attainable GFLOP/s (bench/senet.js
// peakProbe), when the result has one.
const { formatStat, markdownTable } = require('./harness');

function predictTable(rows, peak) {
  const ratio = (r) => (r === null || r === undefined ? '—' : `**${r.toFixed(2)}×**`);
  const stat = (s) => (s ? formatStat(s) : '—');
  const gf = (v) => (v === null || v === undefined ? '—' : v.toFixed(0));
  const ofPeak = (v) => (v === null || v === undefined || !peak ? '—' : `${((100 * v) / peak).toFixed(0)}%`);
  return markdownTable(
    ['line', 'senet-lab img/s', 'PyTorch eager img/s', 'PyTorch frozen img/s', 'onnxruntime-node img/s', '÷ eager', '÷ frozen', '÷ onnxruntime',
      'GFLOP/s senet-lab / eager / frozen / onnxruntime', 'of peak senet-lab / onnxruntime', 'senet-lab bf16 img/s (÷ float32)'],
    rows.map((r) => [
      r.line, stat(r.ours), stat(r.pytorch), stat(r.pytorchFrozen), stat(r.onnxruntime), ratio(r.ratio), ratio(r.ratioFrozen), ratio(r.ratioOnnxruntime),
      r.gflops ? [r.gflops.ours, r.gflops.pytorch, r.gflops.pytorchFrozen, r.gflops.onnxruntime].map(gf).join(' / ') : '—',
      r.gflops ? `${ofPeak(r.gflops.ours)} / ${ofPeak(r.gflops.onnxruntime)}` : '—',
      r.oursBf16 ? `${formatStat(r.oursBf16)} (**${r.bf16Speedup.toFixed(2)}×**)` : '—',
    ]),
  );
}

/** The line under the table that names the peak, or '' without one. */
function peakLine(peak) {
  if (!peak) return '';
  return `Measured peak on these threads: ${peak.best.toFixed(0)} GFLOP/s (best of a ${peak.gemmSize}² float32 GEMM, ${peak.gemmGflops.toFixed(0)}, ` +
    `and a oneDNN 3×3 convolution, ${peak.convGflops.toFixed(0)}); "of peak" divides each side's GFLOP/s by it.`;
}

module.exports = { predictTable, peakLine };
