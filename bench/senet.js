// The library as the benchmarks use it: from this checkout, with the test
// addon (build/Release/senet_lab_testing.node: the product's exports plus
// timePredict, which times a predict inside native code). The benchmarks
// need a checkout anyway — their PyTorch reference is test/reference.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const testAddon = path.join(root, 'build', 'Release', 'senet_lab_testing.node');
if (!process.env.SENET_ADDON) {
  if (!fs.existsSync(testAddon)) {
    throw new Error(`the benchmarks need the test addon ${testAddon}: run \`bash scripts/setup.sh\` in the checkout`);
  }
  process.env.SENET_ADDON = testAddon;
}
const senet = require(root);
const { native } = require(path.join(root, 'dist', 'lib', 'native'));

/** Seconds of each of `iterations` predictions of `model`, timed inside native code. */
function nativeTimePredict(model, shape, iterations) {
  return native().timePredict(model.nativeHandle(), shape, iterations);
}

/** This machine's attainable float32 GFLOP/s (best of a large GEMM and a oneDNN 3×3 convolution), measured for about `seconds`. */
function peakProbe(seconds) {
  return native().peakProbe(seconds);
}

module.exports = { ...senet, nativeTimePredict, peakProbe };
