// One process of the data-parallel benchmark: trains `steps` + 2 warm-up
// steps on constant synthetic data and prints the timed window as JSON.
//   node bench/distributed_worker.js '<json>'
// On the GPU machine (bench/gpu.sh) the library comes from the carried dist/ (SENET_DIST).
const { createModel, train } = require(process.env.SENET_DIST ?? './senet');

const line = JSON.parse(process.argv[2]);
const world = line.distributed?.worldSize ?? 1;
// The global batch; each process trains on its shard.
const shape = [line.batch * world, 3, line.side, line.side];
const images = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 1000) / 1000);
const labels = Int32Array.from({ length: shape[0] }, (_, i) => i % 10);
const model = createModel({ arch: line.arch, numClasses: 10, seed: 0, device: line.device ?? 'cpu' });
let timed = null;
train(
  {
    model, data: { train: { images, labels, shape } }, batchSize: line.batch, shuffle: false, iterations: line.steps + 2, logEvery: 2,
    optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 }, threads: line.threads, ...(line.amp ? { amp: line.amp } : {}),
    ...(line.distributed ? { distributed: line.distributed } : {}),
  },
  // Windows of 2 steps: the first (allocation, rendezvous effects) is dropped.
  {
    onEvent: (e) => {
      if (e.type !== 'step' || e.iteration <= 2) return;
      const images = 2 * line.batch * world; // imagesPerSecond counts the global batch
      timed = { images: (timed?.images ?? 0) + images, seconds: (timed?.seconds ?? 0) + images / e.imagesPerSecond };
    },
  },
).then((r) => console.log(JSON.stringify({ ...timed, communicationSeconds: r.communicationSeconds, steps: r.iterations })));
