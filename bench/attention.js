// Cost of the channel-attention blocks in a training step: img/s of resnet18
// with each attention kind next to `none`, same input and batch, measured in
// the same run. Kinds are interleaved round by round so drift in machine load
// hits all of them alike; the median of the rounds is reported.
//   node bench/attention.js [--rounds N] [--seconds S] [--kinds a,b] [--configs imagenet64,imagenet28,cifar28] [--package DIR]
// --package loads another build of senet-lab (e.g. a copy of an older build
// to compare before/after in one sitting).
const path = require('path');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', 5));
const seconds = Number(arg('--seconds', 3));
const { createModel, runtimeInfo, train } = require(path.resolve(arg('--package', path.join(__dirname, '..'))));

const KINDS = (arg('--kinds', 'none,se,avgmax-add,dual-add')).split(',');
const CONFIGS = [
  { name: 'resnet18 imagenet 3×64×64 batch 8', stem: 'imagenet', shape: [8, 3, 64, 64] },
  { name: 'resnet18 imagenet 1×28×28 batch 64', stem: 'imagenet', shape: [64, 1, 28, 28] },
  // No stem downsampling: 28×28 maps in layer1, where the blocks weigh most.
  { name: 'resnet18 cifar 1×28×28 batch 64', stem: 'cifar', shape: [64, 1, 28, 28] },
].filter((c) => !arg('--configs') || arg('--configs').split(',').includes(c.stem + c.shape[2]));

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function rate(setup, iterations) {
  const result = await train({ ...setup.common, iterations, logEvery: iterations });
  return result.imagesPerSecond;
}

async function main() {
  console.log(`threads ${runtimeInfo().threads}, ${rounds} rounds of ~${seconds}s per kind`);
  for (const config of CONFIGS) {
    const [n, c, h, w] = config.shape;
    const images = new Float32Array(n * c * h * w).map(() => Math.random());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const setups = KINDS.map((attention) => {
      const model = createModel({ arch: 'resnet18', stem: config.stem, attention, inChannels: c, numClasses: 10, seed: 0 });
      const common = { model, data: { train: { images, labels, shape: config.shape } }, batchSize: n, shuffle: false,
        optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 } };
      return { attention, model, common, rates: [] };
    });
    // Warm-up, and the iteration count that takes ~`seconds`.
    for (const s of setups) {
      await rate(s, 2);
      s.iterations = Math.max(2, Math.round((seconds * (await rate(s, 3))) / n));
    }
    for (let r = 0; r < rounds; r++) {
      for (const s of setups) s.rates.push(await rate(s, s.iterations));
    }
    const base = median(setups[0].rates);
    console.log(`\n${config.name}`);
    console.log('| attention | img/s (median) | overhead vs none | runs |');
    console.log('|---|---|---|---|');
    for (const s of setups) {
      const m = median(s.rates);
      console.log(`| ${s.attention} | ${m.toFixed(1)} | ${((base / m - 1) * 100).toFixed(1)}% | ${s.rates.map((x) => x.toFixed(0)).join(' ')} |`);
      s.model.dispose();
    }
  }
}

main().catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
