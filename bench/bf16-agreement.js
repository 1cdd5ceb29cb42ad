// bf16 predict on a trained model: how often its top-1 agrees with float32
// predict on the 10,000 Fashion-MNIST test images, each one's accuracy, and
// the speed of both (the same prepared inference form, float32 vs bf16),
// interleaved. Meant for the model of `senet-lab train --preset fmnist-resnet18`.
//   node bench/bf16-agreement.js WEIGHTS.safetensors [--quick] [--out DIR]
const { performance } = require('perf_hooks');
const { dataset, loadModel, runtimeInfo } = require('./senet');
const { benchMode, interleaved, machine, runStandalone, stats, writeResult } = require('./harness');

const BATCH = 500;

function argmax(logits, classes, row) {
  let best = 0;
  for (let k = 1; k < classes; k++) if (logits[row * classes + k] > logits[row * classes + best]) best = k;
  return best;
}

/** Top-1 classes of every image, and the seconds each batch took. */
async function classify(model, images, count, sample, classes, options) {
  const predicted = new Int32Array(count);
  const seconds = [];
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const x = images.subarray(start * sample, (start + n) * sample);
    const t = performance.now();
    const logits = await model.predict(x, [n, 1, 28, 28], options);
    seconds.push((performance.now() - t) / 1000);
    for (let i = 0; i < n; i++) predicted[start + i] = argmax(logits, classes, i);
  }
  return { predicted, seconds };
}

async function main(mode) {
  const weights = process.argv.slice(2).find((a) => a.endsWith('.safetensors'));
  if (!weights) throw new Error('usage: node bench/bf16-agreement.js WEIGHTS.safetensors [--quick] [--out DIR]');
  const info = runtimeInfo();
  const model = await loadModel(weights);
  const test = await dataset({ type: 'fashion-mnist', split: 'test', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }] });
  const count = mode.smoke ? 1000 : test.size;
  const { images, labels } = await test.batch({ batchSize: count, shuffle: false });
  const sample = 28 * 28;
  const classes = model.options.numClasses;
  const fp32 = await classify(model, images, count, sample, classes, {});
  const bf16 = await classify(model, images, count, sample, classes, { amp: 'bf16' });
  let agree = 0;
  let correct32 = 0;
  let correct16 = 0;
  for (let i = 0; i < count; i++) {
    agree += fp32.predicted[i] === bf16.predicted[i] ? 1 : 0;
    correct32 += fp32.predicted[i] === labels[i] ? 1 : 0;
    correct16 += bf16.predicted[i] === labels[i] ? 1 : 0;
  }
  // Speed: whole passes over the test set, float32 and bf16 interleaved.
  const rates = { fp32: [], bf16: [] };
  const pass = async (key, options) => {
    const { seconds } = await classify(model, images, count, sample, classes, options);
    rates[key].push(count / seconds.reduce((a, b) => a + b, 0));
  };
  await interleaved(mode.repeats, () => pass('fp32', {}), () => pass('bf16', { amp: 'bf16' }));
  model.dispose();
  const result = {
    ...machine(info.threads), bf16: info.cpu?.bf16 ?? 'unknown', weights, images: count, batch: BATCH,
    agreement: agree / count, top1Fp32: (100 * correct32) / count, top1Bf16: (100 * correct16) / count,
    fp32ImagesPerSecond: stats(rates.fp32), bf16ImagesPerSecond: stats(rates.bf16),
  };
  result.speedup = result.bf16ImagesPerSecond.median / result.fp32ImagesPerSecond.median;
  console.log(`bf16 predict on ${count} Fashion-MNIST test images: top-1 agrees with float32 on ${(100 * result.agreement).toFixed(2)}%; ` +
    `accuracy ${result.top1Fp32.toFixed(2)}% float32, ${result.top1Bf16.toFixed(2)}% bf16; ` +
    `${result.fp32ImagesPerSecond.median.toFixed(0)} vs ${result.bf16ImagesPerSecond.median.toFixed(0)} img/s (${result.speedup.toFixed(2)}×, bf16 ${result.bf16} on this CPU)`);
  writeResult(mode, 'bf16-predict', result);
  return result;
}

module.exports = { main };
runStandalone(module, main);
