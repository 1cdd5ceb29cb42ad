// Cost of the channel-attention blocks in a training step: the step time of
// resnet18 with each attention kind against `none` on the same line, for
// senet-lab and for PyTorch eager (each side against itself).
//
// Why its own suite: bench/train.js measures the kinds one after another,
// minutes apart, and on a shared 2-core machine the speed of *both* engines
// shifts by up to ~18% for minutes at a time (seen as 124 ↔ 148 img/s on one
// unchanged `none` run). A cost taken from two lines measured apart then
// reads that shift as the block's cost. Here every round runs every kind on
// both sides back to back, the cost is taken within each round
// (rate of none ÷ rate of the kind − 1), and the median over rounds is reported.
//   node bench/attention.js [--quick | --smoke] [--out DIR] [--kinds a,b] [--configs imagenet64,imagenet28,cifar28]
const { createModel, runtimeInfo } = require('./senet');
const { attentionTable, pct } = require('./attention-table');
const { Reference, machine, runStandalone, stats, writeResult } = require('./harness');
const { SEED_VARIANTS, lineName, ourRep, repetitionSteps, syntheticBatch } = require('./train');

function configs(mode) {
  if (mode.smoke) return [{ name: 'imagenet16', stem: 'imagenet', shape: [2, 3, 16, 16], kinds: ['none', 'se', 'dual-add'] }];
  return [
    // The seed's setting.
    { name: 'imagenet64', stem: 'imagenet', shape: [8, 3, 64, 64] },
    // Fashion-MNIST with the 7×7 stem and with the 3×3 stem (28×28 maps in layer1, where the blocks weigh most).
    { name: 'imagenet28', stem: 'imagenet', shape: [64, 1, 28, 28] },
    { name: 'cifar28', stem: 'cifar', shape: [64, 1, 28, 28] },
  ].map((c) => ({ kinds: ['none', ...SEED_VARIANTS], ...c }));
}

function argList(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1].split(',') : null;
}

async function measureConfig(reference, mode, config) {
  const [n, c] = config.shape;
  const data = syntheticBatch(config.shape);
  const setups = [];
  try {
    for (const attention of config.kinds) {
      const options = { arch: 'resnet18', stem: config.stem, attention, inChannels: c, numClasses: 10 };
      const setup = { attention, model: createModel({ ...options, seed: 0 }), ours: [], pytorch: [] };
      setups.push(setup);
      await reference.call({ cmd: 'train_setup', options, shape: config.shape, key: attention });
      // Warm-up on both sides; ours also sizes the repetitions to ~secondsPerRep.
      const warm = await ourRep(setup.model, data, n, 2);
      await reference.call({ cmd: 'train_rep', steps: 2, key: attention });
      setup.steps = repetitionSteps(mode, warm, n);
    }
    for (let round = 0; round < mode.repeats; round++) {
      // Rotate the order of kinds each round, and alternate which side goes first, so no kind always
      // runs first or next to the same neighbour.
      const order = setups.map((_, i) => setups[(i + round) % setups.length]);
      for (const setup of order) {
        const ours = () => ourRep(setup.model, data, n, setup.steps);
        const theirs = async () => (await reference.call({ cmd: 'train_rep', steps: setup.steps, key: setup.attention })).rate;
        if (round % 2 === 0) {
          setup.ours.push(await ours());
          setup.pytorch.push(await theirs());
        } else {
          setup.pytorch.push(await theirs());
          setup.ours.push(await ours());
        }
      }
    }
  } finally {
    for (const setup of setups) setup.model.dispose();
  }
  const none = setups.find((s) => s.attention === 'none');
  const costs = (side, s) => s[side].map((rate, round) => none[side][round] / rate - 1);
  const line = lineName('resnet18', config.stem, config.shape);
  return setups.map((s) => ({
    line, attention: s.attention, shape: config.shape, steps: s.steps, ours: stats(s.ours), pytorch: stats(s.pytorch),
    ...(s === none ? {} : { costOurs: stats(costs('ours', s)), costPytorch: stats(costs('pytorch', s)) }),
  }));
}

async function main(mode) {
  const threads = runtimeInfo().threads;
  const onlyKinds = argList('--kinds');
  const onlyConfigs = argList('--configs');
  const chosen = configs(mode)
    .filter((c) => !onlyConfigs || onlyConfigs.includes(c.name))
    .map((c) => ({ ...c, kinds: onlyKinds ? ['none', ...onlyKinds.filter((k) => k !== 'none')] : c.kinds }));
  const reference = new Reference(threads, mode);
  const rows = [];
  try {
    for (const config of chosen) {
      const measured = await measureConfig(reference, mode, config);
      for (const r of measured) console.error(`attention: ${r.line} ${r.attention}: ${r.ours.median.toFixed(1)} / ${r.pytorch.median.toFixed(1)} img/s${r.costOurs ? `, cost ${pct(r.costOurs.median)} / ${pct(r.costPytorch.median)}` : ''}`);
      rows.push(...measured);
    }
  } finally {
    reference.close();
  }
  const table = attentionTable(rows);
  const title = `Cost of the attention blocks in a training step (kinds interleaved round by round; cost within each round, median (range) of ${mode.repeats} rounds), ${threads} threads`;
  console.log(`\n${title}\n\n${table}\n`);
  writeResult(mode, 'attention', { ...machine(threads), allocator: runtimeInfo().allocator, repeats: mode.repeats, rows });
  return { title, table, rows };
}

module.exports = { main };
runStandalone(module, main);
