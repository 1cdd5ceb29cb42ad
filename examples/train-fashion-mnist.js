// train() on real data: Fashion-MNIST from Debian's dataset-fashion-mnist
// package, read here with a minimal IDX reader (the library's own dataset API
// arrives with the data-pipeline work).
//   node examples/train-fashion-mnist.js [iterations] [attention]
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');
const { train, runtimeInfo } = require('..');

const DIR = '/usr/share/datasets/fashion-mnist';

function readIdx(file) {
  const bytes = zlib.gunzipSync(fs.readFileSync(path.join(DIR, file)));
  const dims = bytes[3];
  const shape = Array.from({ length: dims }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + 4 + 4 * dims, shape.reduce((a, b) => a * b, 1)) };
}

function dataset(prefix) {
  const images = readIdx(`${prefix}-images-idx3-ubyte.gz`);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte.gz`);
  const [n, h, w] = images.shape;
  return { images: images.data, labels: labels.data, shape: [n, 1, h, w], normalize: { mean: [0.286], std: [0.353] } };
}

async function main() {
  const iterations = Number(process.argv[2] ?? 300);
  const attention = process.argv[3] ?? 'se';
  const info = runtimeInfo();
  console.log(`libtorch ${info.torchVersion}, ${info.threads} threads`);
  const result = await train(
    {
      model: { arch: 'resnet18', stem: 'imagenet', attention, inChannels: 1, numClasses: 10, seed: 1 },
      data: { train: dataset('train'), test: dataset('t10k') },
      iterations,
      batchSize: 64,
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
      schedule: { type: 'cosine', finalLr: 0, warmupIterations: Math.round(iterations / 20) },
      logEvery: Math.max(1, Math.round(iterations / 6)),
      outDir: 'runs/fashion-mnist-example',
      seed: 1,
    },
    {
      onEvent: (e) => {
        if (e.type === 'step') console.log(`step ${e.iteration}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toFixed(4)}  ${e.imagesPerSecond.toFixed(0)} img/s`);
        if (e.type === 'eval') console.log(`eval ${e.iteration}  top-1 ${e.top1.toFixed(2)}%  top-5 ${e.top5.toFixed(2)}%  loss ${e.loss.toFixed(4)}`);
        if (e.type === 'checkpoint') console.log(`checkpoint ${e.path}`);
      },
    },
  );
  console.log(`done: ${result.iterations} iterations in ${result.wallSeconds.toFixed(1)} s (${result.imagesPerSecond.toFixed(0)} img/s), weights ${result.paths.weights}`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
