// Peak resident memory of a training run, ours vs PyTorch eager: each side
// runs the same steps in a fresh process and reports its baseline (library
// loaded, no model yet) and its peak (VmHWM).
//   node bench/memory.js [--quick | --smoke] [--out DIR]
const { execFileSync } = require('child_process');
const path = require('path');
const { runtimeInfo } = require('./senet');
const { PYTHON, machine, markdownTable, runStandalone, writeResult } = require('./harness');

function lines(mode) {
  if (mode.smoke) return [{ options: { arch: 'resnet18', attention: 'se' }, shape: [2, 3, 16, 16], steps: 2 }];
  const steps = mode.quick ? 5 : 20;
  return [
    { options: { arch: 'resnet18', attention: 'se' }, shape: [8, 3, 64, 64], steps },
    { options: { arch: 'resnet50', attention: 'dual-add' }, shape: [8, 3, 64, 64], steps },
    { options: { arch: 'resnet18', attention: 'se', stem: 'cifar', inChannels: 1 }, shape: [64, 1, 28, 28], steps },
    { options: { arch: 'resnet50', attention: 'none' }, shape: [32, 3, 224, 224], steps: mode.quick ? 2 : 3 },
  ];
}

const lastJson = (out) => JSON.parse(out.trim().split('\n').pop());

async function main(mode) {
  const threads = runtimeInfo().threads;
  const rows = [];
  for (const line of lines(mode)) {
    const request = { ...line, options: { numClasses: 10, ...line.options }, threads };
    const ours = lastJson(execFileSync(process.execPath, [path.join(__dirname, 'memory_child.js'), JSON.stringify(request)], { encoding: 'utf8' }));
    const pytorch = lastJson(execFileSync(PYTHON, [path.join(__dirname, 'memory_reference.py'), JSON.stringify(request)], { encoding: 'utf8' }));
    const o = request.options;
    const row = { line: `${o.arch} ${o.attention}${o.stem === 'cifar' ? ' 3×3 stem' : ''} ${line.shape.slice(1).join('×')} batch ${line.shape[0]}, ${line.steps} steps`, ours, pytorch };
    row.ratio = ours.peakMiB / pytorch.peakMiB;
    rows.push(row);
    console.error(`memory: ${row.line}: ${ours.peakMiB.toFixed(0)} vs ${pytorch.peakMiB.toFixed(0)} MiB`);
  }
  const mib = (v) => v.toFixed(0);
  const title = 'Peak resident memory of a training run (VmHWM, MiB), fresh process per side';
  const table = markdownTable(
    ['run', 'senet-lab peak', 'PyTorch peak', 'ratio', 'senet-lab above baseline', 'PyTorch above baseline'],
    rows.map((r) => [r.line, mib(r.ours.peakMiB), mib(r.pytorch.peakMiB), `**${r.ratio.toFixed(2)}×**`, mib(r.ours.peakMiB - r.ours.baselineMiB), mib(r.pytorch.peakMiB - r.pytorch.baselineMiB)]),
  );
  console.log(`\n${title}\n\n${table}\n`);
  writeResult(mode, 'memory', { ...machine(threads), allocator: runtimeInfo().allocator, rows });
  return { title, table, rows };
}

module.exports = { main };
runStandalone(module, main);
