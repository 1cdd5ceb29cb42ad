// The engines side by side: senet-lab built on Debian's libtorch 1.13 and on pip's torch 2.13 (CPU),
// against PyTorch 1.13 eager (Debian), PyTorch 2.13 eager and torch.compile, and for predict also
// both PyTorch's frozen inference path — every side in its own long-lived process (two libtorch
// versions cannot share one), repetitions interleaved round by round (harness.interleavedAll), so
// the ratios of one run compare like with like. Training and predict lines; img/s.
//   node bench/engines.js [--quick | --smoke] [--out DIR]
// Needs build/ (the default) and build-torch2-cpu/ with their test addons (SENET_ENGINE=torch2-cpu
// bash scripts/setup.sh). SENET_PYTHON: PyTorch 1.13's python (default /usr/bin/python3);
// SENET_PYTHON2: PyTorch 2.x's (default .venv-torch2-cpu/bin/python).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { JsonLinesServer: Server, PYTHON, interleavedAll, machine, runStandalone } = require('./harness');
const { enginesTable } = require('./engines-table');
const { lineName, repetitionSteps } = require('./train');

const ROOT = path.join(__dirname, '..');
const PYTHON2 = process.env.SENET_PYTHON2 ?? path.join(ROOT, '.venv-torch2-cpu', 'bin', 'python');
const ADDONS = {
  debian: path.join(ROOT, 'build', 'Release', 'senet_lab_testing.node'),
  'torch2-cpu': path.join(ROOT, 'build-torch2-cpu', 'Release', 'senet_lab_testing.node'),
};

function trainLines(mode) {
  if (mode.smoke) return [{ arch: 'resnet18', stem: 'cifar', channels: 1, side: 16, batch: 4, attention: 'none' }];
  return [
    { arch: 'resnet18', stem: 'cifar', channels: 1, side: 28, batch: 64, attention: 'none' },
    { arch: 'resnet18', stem: 'cifar', channels: 1, side: 28, batch: 64, attention: 'none', amp: 'bf16' },
    { arch: 'resnet18', stem: 'imagenet', channels: 3, side: 64, batch: 8, attention: 'se' },
    { arch: 'resnet50', stem: 'imagenet', channels: 3, side: 64, batch: 8, attention: 'none' },
  ];
}

function predictLines(mode) {
  if (mode.smoke) return [{ arch: 'resnet18', side: 32, batch: 1 }];
  return [
    { arch: 'resnet18', side: 224, batch: 1 },
    { arch: 'resnet18', side: 224, batch: 32 },
    { arch: 'resnet50', side: 224, batch: 1 },
  ];
}

const rate = (batch, seconds) => (batch * seconds.length) / seconds.reduce((a, b) => a + b, 0);

async function main(mode) {
  const threads = Number(process.env.SENET_BENCH_THREADS ?? os.cpus().length);
  for (const [engine, addon] of Object.entries(ADDONS)) {
    if (!fs.existsSync(addon)) throw new Error(`no ${addon}: build the ${engine} engine first (${engine === 'debian' ? 'bash scripts/setup.sh' : `SENET_ENGINE=${engine} bash scripts/setup.sh`})`);
  }
  if (!fs.existsSync(PYTHON2)) throw new Error(`no PyTorch 2.x python at ${PYTHON2} (SENET_PYTHON2, or SENET_ENGINE=torch2-cpu bash scripts/setup.sh)`);
  const script = (name) => path.join(__dirname, name);
  const servers = {
    ours1: new Server('senet-lab on libtorch 1.13', process.execPath, [script('ours_server.js'), String(threads)], { SENET_ADDON: ADDONS.debian }),
    ours2: new Server('senet-lab on libtorch 2.13', process.execPath, [script('ours_server.js'), String(threads)], { SENET_ADDON: ADDONS['torch2-cpu'] }),
    pt1: new Server('PyTorch 1.13', PYTHON, [script('reference_server.py'), String(threads)]),
    pt2: new Server('PyTorch 2.x', PYTHON2, [script('reference_server.py'), String(threads)]),
  };
  const versions = {};
  for (const [key, server] of Object.entries(servers)) versions[key] = (await server.ready).torch;
  const train = [];
  const predict = [];
  try {
    for (const line of trainLines(mode)) {
      const options = { arch: line.arch, stem: line.stem, attention: line.attention, inChannels: line.channels, numClasses: 10 };
      const shape = [line.batch, line.channels, line.side, line.side];
      const amp = line.amp ?? false;
      const sides = [
        ['ours1', null], ['ours2', null], ['pt1', null], ['pt2', null], ['pt2', 'compile'],
      ];
      for (const [server, key] of sides) await servers[server].call({ cmd: 'train_setup', options, shape, amp, key, compile: key === 'compile' });
      // Warm-up on every side; ours on 1.13 sizes the repetitions.
      const warm = await servers.ours1.call({ cmd: 'train_rep', steps: 2 });
      const steps = repetitionSteps(mode, warm.rate, line.batch);
      for (const [server, key] of sides.slice(1)) await servers[server].call({ cmd: 'train_rep', steps: 2, key });
      const stats = await interleavedAll(mode.repeats, sides.map(([server, key]) => async () => (await servers[server].call({ cmd: 'train_rep', steps, key })).rate));
      for (const server of Object.values(servers)) await server.call({ cmd: 'dispose' });
      const [ours1, ours2, pytorch1, pytorch2, pytorch2Compile] = stats;
      const row = { line: `${lineName(line.arch, line.stem, shape)} ${line.attention}${amp ? ` amp ${amp}` : ''}`, shape, amp, steps, ours1, ours2, pytorch1, pytorch2, pytorch2Compile };
      train.push(row);
      console.error(`engines: train ${row.line}: ours 1.13 ${ours1.median.toFixed(1)}, ours 2.13 ${ours2.median.toFixed(1)}, PyTorch 1.13 ${pytorch1.median.toFixed(1)}, ` +
        `2.x eager ${pytorch2.median.toFixed(1)}, 2.x compile ${pytorch2Compile.median.toFixed(1)} img/s`);
    }
    for (const line of predictLines(mode)) {
      const options = { arch: line.arch, attention: 'none', numClasses: 1000 };
      const shape = [line.batch, 3, line.side, line.side];
      const sides = [
        ['ours1', 'eager'], ['ours2', 'eager'], ['pt1', 'eager'], ['pt1', 'frozen'], ['pt2', 'eager'], ['pt2', 'frozen'], ['pt2', 'compile'],
      ];
      for (const [server, variant] of sides) await servers[server].call({ cmd: 'predict_setup', options, shape, variant });
      for (const [server, variant] of sides) await servers[server].call({ cmd: 'predict_rep', iterations: 2, variant });
      const warm = await servers.ours1.call({ cmd: 'predict_rep', iterations: 2, variant: 'eager' });
      const iterations = Math.max(1, Math.round(mode.secondsPerRep / Math.min(...warm.seconds)));
      const stats = await interleavedAll(mode.repeats, sides.map(([server, variant]) => async () => rate(line.batch, (await servers[server].call({ cmd: 'predict_rep', iterations, variant })).seconds)));
      for (const server of Object.values(servers)) await server.call({ cmd: 'dispose' });
      const [ours1, ours2, pytorch1, pytorch1Frozen, pytorch2, pytorch2Frozen, pytorch2Compile] = stats;
      const row = { line: `${line.arch} 3×${line.side}×${line.side} batch ${line.batch}`, shape, iterations, ours1, ours2, pytorch1, pytorch1Frozen, pytorch2, pytorch2Frozen, pytorch2Compile };
      predict.push(row);
      console.error(`engines: predict ${row.line}: ours 1.13 ${ours1.median.toFixed(1)}, ours 2.13 ${ours2.median.toFixed(1)}, PyTorch 1.13 ${pytorch1.median.toFixed(1)} ` +
        `(frozen ${pytorch1Frozen.median.toFixed(1)}), 2.x ${pytorch2.median.toFixed(1)} (frozen ${pytorch2Frozen.median.toFixed(1)}, compile ${pytorch2Compile.median.toFixed(1)}) img/s`);
    }
  } finally {
    for (const server of Object.values(servers)) server.close();
  }
  const result = { ...machine(threads), repeats: mode.repeats, versions, train, predict };
  const title = `Engines: senet-lab on libtorch ${versions.ours1} and ${versions.ours2} against PyTorch ${versions.pt1} and ${versions.pt2}, img/s, ${threads} threads, median (range) of ${mode.repeats} interleaved repetitions`;
  const table = enginesTable(result);
  console.log(`\n${title}\n\n${table}\n`);
  if (mode.outDir) {
    fs.mkdirSync(mode.outDir, { recursive: true });
    fs.writeFileSync(path.join(mode.outDir, 'engines.json'), `${JSON.stringify(result, null, 2)}\n`);
  }
  return { title, table, result };
}

module.exports = { main, enginesTable };
runStandalone(module, main);
