// train() on real data: Fashion-MNIST from Debian's dataset-fashion-mnist
// package (no download), through the native data pipeline.
//   node examples/train-fashion-mnist.js [epochs] [attention] [outDir]
const { dataset, train, runtimeInfo } = require('..');

async function main() {
  const epochs = Number(process.argv[2] ?? 1);
  const attention = process.argv[3] ?? 'se';
  const outDir = process.argv[4] ?? `runs/fashion-mnist-${attention}`;
  const batchSize = 64;
  const trainSet = await dataset({
    type: 'fashion-mnist',
    transforms: [{ type: 'randomCrop', size: 28, padding: 2 }, { type: 'hflip' }, { type: 'normalize', preset: 'fashion-mnist' }],
  });
  const testSet = await dataset({ type: 'fashion-mnist', split: 'test', transforms: [{ type: 'normalize', preset: 'fashion-mnist' }] });
  const stepsPerEpoch = Math.floor(trainSet.size / batchSize);
  const iterations = Math.round(epochs * stepsPerEpoch);
  const info = runtimeInfo();
  console.log(`libtorch ${info.torchVersion}, ${info.threads} threads; ${trainSet.size} training images, ${epochs} epoch(s) = ${iterations} iterations`);
  const started = Date.now();
  const result = await train(
    {
      model: { arch: 'resnet18', stem: 'imagenet', attention, inChannels: 1, numClasses: 10, seed: 1 },
      data: { train: trainSet, test: testSet },
      iterations,
      batchSize,
      workers: 1,
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
      schedule: { type: 'cosine', finalLr: 0, warmupIterations: Math.min(200, Math.round(iterations / 20)) },
      labelSmoothing: 0.1,
      logEvery: Math.max(1, Math.round(iterations / 10)),
      evalEvery: epochs >= 4 ? stepsPerEpoch * Math.round(epochs / 4) : 0,
      outDir,
      seed: 1,
    },
    {
      onEvent: (e) => {
        if (e.type === 'step') console.log(`step ${e.iteration}  epoch ${e.epoch}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toFixed(4)}  ${e.imagesPerSecond.toFixed(0)} img/s`);
        if (e.type === 'eval') console.log(`eval ${e.iteration}  top-1 ${e.top1.toFixed(2)}%  top-5 ${e.top5.toFixed(2)}%  loss ${e.loss.toFixed(4)}`);
      },
    },
  );
  const minutes = (Date.now() - started) / 60000;
  console.log(`done: ${result.iterations} iterations in ${minutes.toFixed(1)} min (${result.imagesPerSecond.toFixed(0)} img/s); ` +
    `test top-1 ${result.finalEval.top1.toFixed(2)}%, top-5 ${result.finalEval.top5.toFixed(2)}% (best ${result.bestEval.top1.toFixed(2)}% at ${result.bestIteration}); weights ${result.paths.weights}`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
