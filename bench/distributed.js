// Data-parallel training on this machine: one process with all threads vs
// two processes (threads split, Gloo over loopback) on the same global batch,
// and how much of a 2-process step is spent in collectives outside backward
// (the gradient all-reduce not hidden behind it, buffer broadcast, loss
// agreement). On a 2-core machine two processes cannot be faster; the point
// is the measured all-reduce cost, which with compute gives the step time on
// N machines (time per step ≈ compute at the per-process batch + all-reduce).
// --gpus (bench/gpu.sh, 2+ GPUs): 1 GPU vs 2 GPUs, NCCL, each process on its
// own device (cuda:rank), bf16 autocast, larger batches.
//   node bench/distributed.js [--quick | --smoke] [--gpus] [--out DIR]
const { execFile } = require('child_process');
const path = require('path');
const { promisify } = require('util');
const { runtimeInfo } = require(process.env.SENET_DIST ?? './senet');
const { benchMode, formatStat, machine, markdownTable, runStandalone, stats, writeResult } = require('./harness');

const run = promisify(execFile);
const WORKER = path.join(__dirname, 'distributed_worker.js');

const GPUS = process.argv.includes('--gpus');

function lines(mode) {
  if (GPUS) {
    return [
      { arch: 'resnet50', side: 224, batch: 128, steps: 10, device: 'cuda', amp: 'bf16' },
      { arch: 'resnet18', side: 64, batch: 256, steps: 10, device: 'cuda', amp: 'bf16' },
    ];
  }
  if (mode.smoke) return [{ arch: 'resnet18', side: 16, batch: 4, steps: 2 }];
  const steps = mode.quick ? 6 : 12;
  return [
    { arch: 'resnet18', side: 64, batch: 8, steps },
    { arch: 'resnet50', side: 64, batch: 8, steps },
    { arch: 'resnet18', side: 64, batch: 32, steps },
  ];
}

async function worker(line) {
  const { stdout } = await run(process.execPath, [WORKER, JSON.stringify(line)], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

async function freePort() {
  return require(path.join(process.env.SENET_DIST ?? path.join(__dirname, '..', 'dist', 'lib'), 'cli', 'launch')).freePort();
}

/** One repetition: the global batch in 1 process (all threads), then split over 2 (threads halved). */
async function repetition(line, threads) {
  const one = await worker({ ...line, threads });
  const port = await freePort();
  const per = Math.max(1, Math.floor(threads / 2));
  // On GPUs each process has its own device ('cuda' is cuda:localRank in a data-parallel run) and NCCL.
  const backend = GPUS ? { backend: 'nccl' } : {};
  const two = await Promise.all([0, 1].map((rank) => worker({ ...line, batch: line.batch / 2, threads: per, distributed: { rank, worldSize: 2, masterPort: port, timeout: 120, ...backend } })));
  const steps = line.steps + 2;
  return {
    one: one.images / one.seconds,
    two: two[0].images / two[0].seconds,
    // Collectives per step on rank 0 (over all steps of the run, rendezvous excluded).
    commMs: (1000 * two[0].communicationSeconds) / steps,
    stepMs: (1000 * two[0].seconds) / (two[0].images / line.batch), // global batch per step
  };
}

async function main(mode) {
  const threads = runtimeInfo().threads;
  const rows = [];
  for (const line of lines(mode)) {
    const reps = [];
    for (let r = 0; r < mode.repeats; r++) reps.push(await repetition(line, threads));
    const row = {
      line: `${line.arch} 3×${line.side}×${line.side}, global batch ${line.batch}`,
      oneProcess: stats(reps.map((r) => r.one)), twoProcesses: stats(reps.map((r) => r.two)),
      collectivesMs: stats(reps.map((r) => r.commMs)), stepMs: stats(reps.map((r) => r.stepMs)),
    };
    row.ratio = row.twoProcesses.median / row.oneProcess.median;
    row.fraction = row.collectivesMs.median / row.stepMs.median;
    rows.push(row);
    console.error(`distributed: ${row.line}: ${row.oneProcess.median.toFixed(1)} vs ${row.twoProcesses.median.toFixed(1)} img/s`);
  }
  const title = GPUS
    ? 'Data-parallel training, 1 GPU vs 2 GPUs (NCCL, bf16 autocast), the same global batch'
    : `Data-parallel training, 1 process × ${threads} threads vs 2 processes × ${Math.max(1, Math.floor(threads / 2))} (Gloo, loopback)`;
  const table = markdownTable(
    ['line', '1 process img/s', '2 processes img/s', '2 ÷ 1', 'collectives per step, ms', 'share of the step'],
    rows.map((r) => [r.line, formatStat(r.oneProcess), formatStat(r.twoProcesses), `**${r.ratio.toFixed(2)}×**`, formatStat(r.collectivesMs), `${(100 * r.fraction).toFixed(0)}%`]),
  );
  console.log(`\n${title}\n\n${table}\n`);
  writeResult(mode, 'distributed', { ...machine(threads), rows });
  return { title, table, rows };
}

module.exports = { main };
runStandalone(module, main);
