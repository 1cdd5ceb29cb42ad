// Floating-point work of one ResNet forward pass, to turn a measured rate into
// achieved GFLOP/s: 2 FLOPs per multiply-add of every convolution and of the
// classifier (BN, ReLU, pooling, the residual adds and the attention blocks
// are below 1% of it and left out), the convention of the usual "1.8 GFLOPs"
// (MACs) figure for ResNet-18 at 224×224, doubled.
const BLOCKS = {
  resnet18: ['basic', [2, 2, 2, 2]],
  resnet34: ['basic', [3, 4, 6, 3]],
  resnet50: ['bottleneck', [3, 4, 6, 3]],
  resnet101: ['bottleneck', [3, 4, 23, 3]],
  resnet152: ['bottleneck', [3, 8, 36, 3]],
};

const out = (size, kernel, stride, pad) => Math.floor((size + 2 * pad - kernel) / stride) + 1;

/** FLOPs of one image through `arch` (torchvision structure) with a side×side input. */
function resnetFlops({ arch, stem = 'imagenet', inChannels = 3, numClasses = 1000 }, side) {
  const [kind, layers] = BLOCKS[arch];
  let flops = 0;
  let size = side;
  // A k×k convolution from `cin` to `cout` channels with the given stride on the current map.
  const conv = (cin, cout, k, stride) => {
    size = out(size, k, stride, (k - 1) / 2);
    flops += 2 * cin * cout * k * k * size * size;
  };
  if (stem === 'imagenet') {
    conv(inChannels, 64, 7, 2);
    size = out(size, 3, 2, 1);
  } else {
    conv(inChannels, 64, 3, 1);
  }
  let inplanes = 64;
  const expansion = kind === 'basic' ? 1 : 4;
  layers.forEach((blocks, l) => {
    const planes = 64 << l;
    for (let b = 0; b < blocks; b++) {
      const stride = l > 0 && b === 0 ? 2 : 1;
      const inputSize = size;
      if (kind === 'basic') {
        conv(inplanes, planes, 3, stride);
        conv(planes, planes, 3, 1);
      } else {
        conv(inplanes, planes, 1, 1);
        conv(planes, planes, 3, stride);
        conv(planes, planes * 4, 1, 1);
      }
      if (stride !== 1 || inplanes !== planes * expansion) {
        const outputSize = size;
        size = inputSize;
        conv(inplanes, planes * expansion, 1, stride);
        size = outputSize;
      }
      inplanes = planes * expansion;
    }
  });
  return flops + 2 * inplanes * numClasses;
}

module.exports = { resnetFlops };
