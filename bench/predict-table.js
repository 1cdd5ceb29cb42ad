// The predict benchmark's table, from its result rows: written by
// bench/predict.js and rebuilt by the docs generator from
// bench/results/predict.json (rows recorded before a column existed show —).
const { formatStat, markdownTable } = require('./harness');

function predictTable(rows) {
  const ratio = (r) => (r === null || r === undefined ? '—' : `**${r.toFixed(2)}×**`);
  const stat = (s) => (s ? formatStat(s) : '—');
  const gf = (v) => (v === null || v === undefined ? '—' : v.toFixed(0));
  return markdownTable(
    ['line', 'senet-lab img/s', 'PyTorch eager img/s', 'PyTorch frozen img/s', 'onnxruntime-node img/s', '÷ eager', '÷ frozen', '÷ onnxruntime',
      'GFLOP/s senet-lab / eager / frozen / onnxruntime'],
    rows.map((r) => [
      r.line, stat(r.ours), stat(r.pytorch), stat(r.pytorchFrozen), stat(r.onnxruntime), ratio(r.ratio), ratio(r.ratioFrozen), ratio(r.ratioOnnxruntime),
      r.gflops ? [r.gflops.ours, r.gflops.pytorch, r.gflops.pytorchFrozen, r.gflops.onnxruntime].map(gf).join(' / ') : '—',
    ]),
  );
}

module.exports = { predictTable };
