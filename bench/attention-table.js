// The attention-cost table, shared by bench/attention.js (printed) and
// scripts/docs/benchmarks-md.js (docs/benchmarks.md from the recorded rows).
const { formatStat, markdownTable } = require('./harness');

const pct = (v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`;
/** "+8.1% (+6.0…+9.9%)": the median cost and its range over the rounds. */
const formatCost = (s) => (s.runs.length > 1 ? `${pct(s.median)} (${pct(s.min)}…${pct(s.max)})` : pct(s.median));

function attentionTable(rows) {
  return markdownTable(
    ['line', 'attention', 'senet-lab img/s', 'PyTorch eager img/s', 'cost vs none, senet-lab', 'cost vs none, PyTorch'],
    rows.map((r) => [r.line, r.attention, formatStat(r.ours), formatStat(r.pytorch), r.costOurs ? `**${formatCost(r.costOurs)}**` : '—', r.costPytorch ? formatCost(r.costPytorch) : '—']),
  );
}

module.exports = { attentionTable, pct };
