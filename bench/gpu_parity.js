// CUDA parity for bench/gpu.sh: forward logits and SGD steps, senet-lab vs
// PyTorch eager on the same device, from identical weights and batches.
//   node bench/gpu_parity.js --device cuda|cpu --python PY --work DIR [--dry]
// Prints one line per case and a JSON summary (last line) for gpu.sh.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');

const { values: args } = parseArgs({
  options: { device: { type: 'string' }, python: { type: 'string' }, work: { type: 'string' }, dry: { type: 'boolean', default: false } },
});
const senet = require(process.env.SENET_DIST ?? path.join(__dirname, '..', 'dist', 'lib'));
const { createModel, inspectSafetensors, setTf32, train } = senet;

// Deterministic pseudo-random floats (no Math.random: both sides read the same files anyway).
function randomFloats(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

/** max|a − b| / max|b|, the relative error of the parity tests. */
function relativeError(a, b) {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

function readTensors(file) {
  const bytes = fs.readFileSync(file);
  const header = inspectSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const out = new Map();
  for (const t of header.tensors) {
    const raw = Buffer.from(bytes.subarray(header.dataStart + t.begin, header.dataStart + t.end));
    out.set(t.name, t.dtype === 'F32' ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) : Array.from(new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8), Number));
  }
  return out;
}

function tensorShapes(file) {
  const bytes = fs.readFileSync(file);
  return new Map(inspectSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).tensors.map((t) => [t.name, t.shape]));
}

/**
 * Worst error over all tensors: relative (max|a − b| / max|b|) for conv/linear weights, max|a − b| / max(max|b|, 1)
 * for 1-D tensors (BN biases start at 0 and sum cancelling gradients; running_var can be large); integers equal.
 */
function compareWeights(oursFile, theirsFile) {
  const ours = readTensors(oursFile);
  const theirs = readTensors(theirsFile);
  const shapes = tensorShapes(theirsFile);
  let worst = { key: '', error: 0 };
  if (ours.size !== theirs.size) return { key: 'key sets differ', error: Infinity };
  for (const [key, t] of theirs) {
    const o = ours.get(key);
    if (!o) return { key: `missing ${key}`, error: Infinity };
    let error;
    if (!(t instanceof Float32Array)) error = o.every((v, i) => v === t[i]) ? 0 : Infinity;
    else if (shapes.get(key).length > 1) error = relativeError(o, t);
    else error = relativeError(o, t) * Math.min(1, t.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    if (error > worst.error) worst = { key, error };
  }
  return worst;
}

async function main() {
  const device = args.device;
  const work = args.work;
  fs.mkdirSync(work, { recursive: true });
  setTf32(false); // float32 parity: TF32 convolutions would differ by ~1e-3
  // Batches large enough for stable BatchNorm statistics and a small lr: with batch 4 and 1×1 maps in
  // layer4, float rounding (another kernel, another summation order) grows ~100× per step.
  const side = 64;
  const batch = args.dry ? 16 : 32;
  const steps = args.dry ? 3 : 10;
  const sgd = { type: 'sgd', lr: 0.001, momentum: 0.9, weightDecay: 1e-4 };
  const cases = [
    { name: 'resnet18 se fp32', options: { arch: 'resnet18', attention: 'se', numClasses: 10 }, amp: false, tolerance: 1e-4 },
    { name: 'resnet50 dual-add fp32', options: { arch: 'resnet50', attention: 'dual-add', numClasses: 10 }, amp: false, tolerance: 1e-4 },
  ];
  if (device.startsWith('cuda')) {
    cases.push({ name: 'resnet18 se bf16 autocast', options: { arch: 'resnet18', attention: 'se', numClasses: 10 }, amp: 'bf16', tolerance: 1e-2 });
    cases.push({ name: 'resnet50 dual-add bf16 autocast', options: { arch: 'resnet50', attention: 'dual-add', numClasses: 10 }, amp: 'bf16', tolerance: 1e-2 });
  }
  const channelsLast = device.startsWith('cuda'); // training's default on CUDA
  const inputShape = [batch, 3, side, side];
  const dataShape = [batch * steps, 3, side, side];
  const input = randomFloats(inputShape.reduce((a, b) => a * b), 1);
  const images = randomFloats(dataShape.reduce((a, b) => a * b), 2);
  const labels = Int32Array.from({ length: dataShape[0] }, (_, i) => (i * 7) % 10);
  fs.writeFileSync(path.join(work, 'input.f32'), Buffer.from(input.buffer));
  fs.writeFileSync(path.join(work, 'images.f32'), Buffer.from(images.buffer));
  fs.writeFileSync(path.join(work, 'labels.i32'), Buffer.from(labels.buffer));

  const requests = [];
  const ours = [];
  for (const [index, c] of cases.entries()) {
    const model = createModel({ ...c.options, seed: 10 + index, device });
    const weights = path.join(work, `init-${index}.safetensors`);
    await model.save(weights);
    const logits = await model.predict(input, inputShape, { amp: c.amp, channelsLast });
    const losses = [];
    const outDir = path.join(work, `run-${index}`);
    fs.rmSync(outDir, { recursive: true, force: true });
    await train(
      { model, data: { train: { images, labels, shape: dataShape } }, iterations: steps, batchSize: batch, shuffle: false, logEvery: 1,
        optimizer: sgd, amp: c.amp, channelsLast, outDir },
      { onEvent: (e) => e.type === 'step' && losses.push(e.loss) },
    );
    model.dispose();
    ours.push({ logits, losses, weights: path.join(outDir, 'model.safetensors') });
    requests.push({
      options: c.options, weights, input: path.join(work, 'input.f32'), inputShape, amp: c.amp, channelsLast,
      data: { images: path.join(work, 'images.f32'), labels: path.join(work, 'labels.i32'), shape: dataShape },
      steps, batchSize: batch, optimizer: sgd, weightsOut: path.join(work, `theirs-${index}.safetensors`),
    });
  }
  const reference = JSON.parse(execFileSync(args.python, [path.join(__dirname, 'gpu_reference.py'), JSON.stringify({ cmd: 'parity', device, cases: requests })],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop());

  const results = cases.map((c, i) => {
    const theirs = reference.cases[i];
    const logitsError = relativeError(ours[i].logits, theirs.logits);
    const lossError = relativeError(ours[i].losses, theirs.losses);
    const worst = compareWeights(ours[i].weights, requests[i].weightsOut);
    const pass = logitsError <= c.tolerance && lossError <= c.tolerance && worst.error <= c.tolerance;
    console.log(`${pass ? 'ok  ' : 'FAIL'} ${c.name}: logits ${logitsError.toExponential(2)}, ${steps} SGD step losses ${lossError.toExponential(2)}, ` +
      `weights ${worst.error.toExponential(2)} (${worst.key}); tolerance ${c.tolerance}`);
    return { name: c.name, amp: c.amp, channelsLast, steps, batch, side, logitsError, lossError, weightError: worst.error, worstKey: worst.key, tolerance: c.tolerance, pass,
      oursLosses: ours[i].losses, pytorchLosses: theirs.losses };
  });
  console.log(JSON.stringify({ parity: results }));
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
