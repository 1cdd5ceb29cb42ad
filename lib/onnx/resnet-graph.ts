// torchvision's ResNet (v1.5: the stride on the bottleneck's 3×3) as ONNX
// nodes, from its state_dict: the same structure as native/model/resnet.cpp.
// Each convolution is followed by its BatchNorm in eval mode — folded into
// the convolution's weight and bias (the inference form), or written as a
// BatchNormalization node with the running statistics.
import { ResolvedModelOptions } from '../options';
import { attentionNodes } from './attention-graph';
import { GraphBuilder, float, int, ints } from './graph-builder';
import { StateDict } from './state-dict';

/** BatchNorm2d's eps (PyTorch's default, which every BN of the model uses). */
const BN_EPS = 1e-5;

export interface ResnetGraphSettings {
  foldBatchNorm: boolean;
}

/** Conv (no bias) → BN, with the BN folded into the conv when asked; kernel and padding come from the weight's shape. */
function convBn(g: GraphBuilder, w: StateDict, x: string, conv: string, bn: string, stride: number, settings: ResnetGraphSettings): string {
  const weight = w.take(`${conv}.weight`);
  const [outChannels, , kh, kw] = weight.shape;
  const attributes = {
    kernel_shape: ints([kh, kw]),
    strides: ints([stride, stride]),
    pads: ints([(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2]),
  };
  const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => w.take(`${bn}.${p}`).values);
  if (!settings.foldBatchNorm) {
    const y = g.node('Conv', [x, g.weight(`${conv}.weight`, weight.shape, weight.values)], attributes, conv);
    const params = [['weight', gamma], ['bias', beta], ['running_mean', mean], ['running_var', variance]] as const;
    const inputs = params.map(([p, values]) => g.weight(`${bn}.${p}`, [outChannels], values));
    return g.node('BatchNormalization', [y, ...inputs], { epsilon: float(BN_EPS) }, bn);
  }
  // y = γ (conv(x) − μ) / √(σ² + ε) + β = conv'(x) + b' with W' = W·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε); computed in double.
  const folded = new Float32Array(weight.values.length);
  const bias = new Float32Array(outChannels);
  const perChannel = weight.values.length / outChannels;
  for (let o = 0; o < outChannels; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
    bias[o] = beta[o] - mean[o] * scale;
    for (let i = o * perChannel; i < (o + 1) * perChannel; i++) folded[i] = weight.values[i] * scale;
  }
  const inputs = [x, g.weight(`${conv}.weight+${bn}`, weight.shape, folded), g.weight(`${conv}.bias+${bn}`, [outChannels], bias)];
  return g.node('Conv', inputs, attributes, conv);
}

const relu = (g: GraphBuilder, x: string, hint: string): string => g.node('Relu', [x], {}, hint);

/** One residual block `layerL.B`: its branch, attention after the branch's last BN, the shortcut, the final ReLU. */
function block(g: GraphBuilder, w: StateDict, model: ResolvedModelOptions, x: string, name: string, stride: number, settings: ResnetGraphSettings): string {
  const bottleneck = w.has(`${name}.conv3.weight`);
  let out: string;
  if (bottleneck) {
    out = relu(g, convBn(g, w, x, `${name}.conv1`, `${name}.bn1`, 1, settings), name);
    out = relu(g, convBn(g, w, out, `${name}.conv2`, `${name}.bn2`, stride, settings), name);
    out = convBn(g, w, out, `${name}.conv3`, `${name}.bn3`, 1, settings);
  } else {
    out = relu(g, convBn(g, w, x, `${name}.conv1`, `${name}.bn1`, stride, settings), name);
    out = convBn(g, w, out, `${name}.conv2`, `${name}.bn2`, 1, settings);
  }
  const channels = w.take(`${name}.${bottleneck ? 'bn3' : 'bn2'}.weight`).shape[0];
  out = attentionNodes(g, w, model.attention, `${name}.se`, out, channels);
  const shortcut = w.has(`${name}.downsample.0.weight`)
    ? convBn(g, w, x, `${name}.downsample.0`, `${name}.downsample.1`, stride, settings)
    : x;
  return relu(g, g.node('Add', [out, shortcut], {}, name), name);
}

/** Lets other callbacks of the event loop run: folding a large model's weights takes a while. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The whole network from the input `x` (N×C×H×W) to the logits, written to the node output `output`.
 * Yields to the event loop after every block, so a host stays responsive while a deep model is written.
 */
export async function resnetNodes(
  g: GraphBuilder, w: StateDict, model: ResolvedModelOptions, x: string, output: string, settings: ResnetGraphSettings,
): Promise<void> {
  const stemStride = model.stem === 'imagenet' ? 2 : 1;
  let y = relu(g, convBn(g, w, x, 'conv1', 'bn1', stemStride, settings), 'stem');
  if (model.stem === 'imagenet') {
    y = g.node('MaxPool', [y], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }, 'stem');
  }
  for (let layer = 1; layer <= 4; layer++) {
    for (let b = 0; w.has(`layer${layer}.${b}.conv1.weight`); b++) {
      y = block(g, w, model, y, `layer${layer}.${b}`, layer > 1 && b === 0 ? 2 : 1, settings);
      await yieldToEventLoop();
    }
  }
  const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [y], {}, 'head')], { axis: int(1) }, 'head');
  const fc = w.take('fc.weight');
  const fcBias = w.take('fc.bias');
  g.node('Gemm', [pooled, g.weight('fc.weight', fc.shape, fc.values), g.weight('fc.bias', fcBias.shape, fcBias.values)], { transB: int(1) }, 'fc', output);
}
