// The tables of bench/engines.js's result (bench/results/engines.json), for its output and docs/benchmarks.md.
const { formatStat, markdownTable } = require('./harness');

const x = (a, b) => `${(a.median / b.median).toFixed(2)}×`;

/** The two tables (training, predict) of an engines.json result: img/s, then senet-lab ÷ each PyTorch column. */
function enginesTable(r) {
  const v = r.versions;
  const trainTable = markdownTable(
    ['training line', `senet-lab on ${v.ours1}`, `senet-lab on ${v.ours2}`, `PyTorch ${v.pt1} eager`, `PyTorch ${v.pt2} eager`, `PyTorch ${v.pt2} torch.compile`,
      `ours ${v.ours1} ÷ PyTorch ${v.pt1} / ${v.pt2} / compile`, `ours ${v.ours2} ÷ PyTorch ${v.pt2} / compile`, `ours ${v.ours2} ÷ ours ${v.ours1}`],
    r.train.map((t) => [t.line, formatStat(t.ours1), formatStat(t.ours2), formatStat(t.pytorch1), formatStat(t.pytorch2), formatStat(t.pytorch2Compile),
      `**${x(t.ours1, t.pytorch1)}** / ${x(t.ours1, t.pytorch2)} / ${x(t.ours1, t.pytorch2Compile)}`, `**${x(t.ours2, t.pytorch2)}** / ${x(t.ours2, t.pytorch2Compile)}`, x(t.ours2, t.ours1)]),
  );
  const predictTable = markdownTable(
    ['predict line', `senet-lab on ${v.ours1}`, `senet-lab on ${v.ours2}`, `PyTorch ${v.pt1} eager / frozen`, `PyTorch ${v.pt2} eager / frozen / torch.compile`,
      `ours ${v.ours1} ÷ PyTorch ${v.pt1} frozen`, `ours ${v.ours2} ÷ PyTorch ${v.pt2} eager / frozen / compile`, `ours ${v.ours2} ÷ ours ${v.ours1}`],
    r.predict.map((p) => [p.line, formatStat(p.ours1), formatStat(p.ours2), `${formatStat(p.pytorch1)} / ${formatStat(p.pytorch1Frozen)}`,
      `${formatStat(p.pytorch2)} / ${formatStat(p.pytorch2Frozen)} / ${formatStat(p.pytorch2Compile)}`,
      `**${x(p.ours1, p.pytorch1Frozen)}**`, `${x(p.ours2, p.pytorch2)} / **${x(p.ours2, p.pytorch2Frozen)}** / ${x(p.ours2, p.pytorch2Compile)}`, x(p.ours2, p.ours1)]),
  );
  return `${trainTable}\n\n${predictTable}`;
}

module.exports = { enginesTable };
