// The short run scripts/leak-check.sh watches with LeakSanitizer: create a
// model, train it 5 steps, predict, save, load into a second model, dispose
// both, and let the GC run the finalizers of everything left.
const fs = require('fs');
const os = require('os');
const path = require('path');
const senet = require(path.join(__dirname, '..', 'dist', 'lib'));

async function main() {
  senet.setThreads(1);
  const side = 8;
  const n = 8;
  const images = new Float32Array(n * side * side).map((_, i) => Math.sin(i / 3));
  const labels = new Int32Array(n).map((_, i) => i % 2);
  const options = { arch: 'resnet18', attention: 'se', inChannels: 1, numClasses: 2, seed: 1 };
  const model = senet.createModel(options);
  await senet.train({ model, data: { train: { images, labels, shape: [n, 1, side, side] } }, iterations: 5, batchSize: 4, optimizer: { type: 'sgd', lr: 0.01 } });
  const logits = await model.predict(images.subarray(0, side * side), [1, 1, side, side]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-leak-'));
  const file = path.join(dir, 'model.safetensors');
  await model.save(file);
  const loaded = await senet.loadModel(file);
  const again = await loaded.predict(images.subarray(0, side * side), [1, 1, side, side]);
  if (Math.max(...logits.map((v, i) => Math.abs(v - again[i]))) > 1e-5) throw new Error('the loaded model predicts differently');
  model.dispose();
  loaded.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  if (global.gc) global.gc();
  console.log('leak-run: done');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
