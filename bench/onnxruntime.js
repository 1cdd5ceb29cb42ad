// The onnxruntime-node side of the predict benchmark: the same model, exported
// with model.exportOnnx(), in an ORT session set up as a Node user would for
// CPU inference next to other work: all graph optimizations, `threads`
// intra-op threads, sequential execution, and spin-waiting off (a spinning
// pool would steal the cores the other side is measured on).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { performance } = require('perf_hooks');

/** onnxruntime-node (a dev dependency), or null where it is not installed. */
function onnxruntime() {
  try {
    return require('onnxruntime-node');
  } catch {
    return null;
  }
}

/** An ORT session for `model` that times runs of `input` (shape `shape`). */
async function ortPredictor(ort, model, input, shape, threads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-bench-ort-'));
  let session;
  try {
    const file = path.join(dir, 'model.onnx');
    await model.exportOnnx(file);
    session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const feeds = { input: new ort.Tensor('float32', input, shape) };
  return {
    async logits() {
      return (await session.run(feeds)).logits.data;
    },
    async seconds(iterations) {
      const out = [];
      for (let i = 0; i < iterations; i++) {
        const start = performance.now();
        await session.run(feeds);
        out.push((performance.now() - start) / 1000);
      }
      return out;
    },
    release: () => session.release(),
  };
}

module.exports = { onnxruntime, ortPredictor };
