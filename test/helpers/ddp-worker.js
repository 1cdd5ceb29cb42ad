// One process of a data-parallel test run: `node ddp-worker.js '<json>'`
// trains with the train() options in the JSON (`data` as raw dataset files
// written by test/helpers/data.ts writeDataset) and prints one JSON line per
// event, then a `done` line; on failure it prints the error and exits 1.
const fs = require('fs');
const path = require('path');
const senet = require(path.join(__dirname, '..', '..', 'dist', 'lib'));

function readDataset({ images, labels, shape }) {
  const floats = fs.readFileSync(images);
  const ints = fs.readFileSync(labels);
  return {
    images: new Float32Array(floats.buffer.slice(floats.byteOffset, floats.byteOffset + floats.byteLength)),
    labels: new Int32Array(ints.buffer.slice(ints.byteOffset, ints.byteOffset + ints.byteLength)),
    shape,
  };
}

const spec = JSON.parse(process.argv[2]);
const data = { train: readDataset(spec.data.train), ...(spec.data.test ? { test: readDataset(spec.data.test) } : {}) };
senet
  .train({ ...spec.train, data }, { onEvent: (e) => console.log(JSON.stringify(e)) })
  .then((r) => console.log(JSON.stringify({ type: 'done', iterations: r.iterations, finalEval: r.finalEval, weights: r.paths.weights })))
  .catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
