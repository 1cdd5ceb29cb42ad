// The benchmark suite: training, the attention blocks' cost, predict (+ N-API
// crossing), peak memory and the data loader, each against PyTorch/torchvision
// in the same run. Prints markdown tables and writes bench/results/*.json plus
// summary.md.
//   node bench/run.js [--quick | --smoke] [--only train,attention,predict,memory,distributed,loader,engines] [--out DIR] [--pytorch-malloc]
// engines: senet-lab on each CPU engine against PyTorch 1.13 and 2.x eager, torch.compile and frozen
// (needs build-torch2-cpu/: SENET_ENGINE=torch2-cpu bash scripts/setup.sh; skipped with a line saying so without it).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { runtimeInfo } = require('./senet');
const { benchMode, machine } = require('./harness');

const SUITES = ['train', 'attention', 'predict', 'memory', 'distributed', 'loader', 'engines'];

async function main() {
  const mode = benchMode();
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1].split(',') : mode.smoke ? ['train', 'attention', 'predict', 'memory', 'distributed'] : SUITES;
  const unknown = only.filter((s) => !SUITES.includes(s));
  if (unknown.length) throw new Error(`--only: unknown suite(s) ${unknown.join(', ')}; valid: ${SUITES.join(', ')}`);
  const info = runtimeInfo();
  const m = machine(info.threads);
  const sections = [`senet-lab benchmarks — ${m.date}, ${m.cpu}, ${m.cpus} CPUs, ${m.threads} threads, libtorch ${info.torchVersion}, allocator: ${info.allocator}`];
  for (const suite of only) {
    if (suite === 'loader') {
      // The loader benchmark is its own script (datasets on disk, worker sweeps).
      const r = spawnSync(process.execPath, [path.join(__dirname, 'loader.js'), ...(mode.quick ? ['--quick'] : [])], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`loader benchmark failed (exit ${r.status})`);
      continue;
    }
    if (suite === 'engines' && !fs.existsSync(path.join(__dirname, '..', 'build-torch2-cpu', 'Release', 'senet_lab_testing.node'))) {
      console.error('engines: skipped: no build-torch2-cpu/Release/senet_lab_testing.node (SENET_ENGINE=torch2-cpu bash scripts/setup.sh builds it)');
      continue;
    }
    const result = await require(`./${suite}`).main(mode);
    sections.push(`### ${result.title}\n\n${result.table}`);
    if (result.crossingTable) sections.push(`### Cost of crossing N-API (per-call medians, batch 1)\n\n${result.crossingTable}`);
  }
  if (mode.outDir) fs.mkdirSync(mode.outDir, { recursive: true });
  if (mode.outDir) fs.writeFileSync(path.join(mode.outDir, mode.pytorchMalloc ? 'summary-pytorch-malloc.md' : 'summary.md'), `${sections.join('\n\n')}\n`);
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
