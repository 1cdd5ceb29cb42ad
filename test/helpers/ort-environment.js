// A jest environment for suites that use onnxruntime-node. Its native binding
// creates output tensors' Float32Arrays in Node's own realm, and
// onnxruntime-common (loaded inside jest's sandbox) checks them with
// `instanceof Float32Array` against the sandbox's constructor, which fails.
// Giving the sandbox Node's Float32Array makes both sides agree.
const { TestEnvironment } = require('jest-environment-node');

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.Float32Array = Float32Array;
  }
}

module.exports = OrtEnvironment;
