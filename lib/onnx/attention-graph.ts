// The channel-attention blocks as ONNX nodes: x · s(x), with s from the
// global average pool a and max pool m (both N×C), exactly the formulas of
// native/model/attention.h (MLP(z) = σ(fc2(ReLU(fc1(z)))), fc1/fc2 Gemm with
// bias; ECA a 1-D convolution across channels).
import { Attention } from '../options';
import { GraphBuilder, int, ints } from './graph-builder';
import { StateDict } from './state-dict';

/** x · s(x) for the block whose weights are under `prefix` (`layer1.0.se`); `channels` is x's C. */
export function attentionNodes(g: GraphBuilder, w: StateDict, kind: Attention, prefix: string, x: string, channels: number): string {
  if (kind === 'none') return x;
  const pooled = (op: 'GlobalAveragePool' | 'GlobalMaxPool'): string =>
    g.node('Flatten', [g.node(op, [x], {}, prefix)], { axis: int(1) }, prefix);
  const a = pooled('GlobalAveragePool');
  const s = kind === 'eca' ? ecaScale(g, w, prefix, a, channels) : mlpScale(g, w, kind, prefix, a, () => pooled('GlobalMaxPool'));
  const broadcast = g.node('Reshape', [s, g.int64s(`shape[-1,${channels},1,1]`, [-1, channels, 1, 1])], {}, prefix);
  return g.node('Mul', [x, broadcast], {}, prefix);
}

/** s for the SE-style kinds: fc1 → ReLU → fc2 (the logits), then σ, combined per kind. */
function mlpScale(g: GraphBuilder, w: StateDict, kind: Attention, prefix: string, a: string, maxPool: () => string): string {
  // One set of initializers, shared by both MLP applications of dual-* and cbam.
  const params = Object.fromEntries(['fc1', 'fc2'].flatMap((layer) => ['weight', 'bias'].map((p) => {
    const name = `${prefix}.${layer}.${p}`;
    const t = w.take(name);
    return [`${layer}.${p}`, g.weight(name, t.shape, t.values)];
  })));
  const gemm = (z: string, layer: string): string =>
    g.node('Gemm', [z, params[`${layer}.weight`], params[`${layer}.bias`]], { transB: int(1) }, `${prefix}.${layer}`);
  const logits = (z: string): string => gemm(g.node('Relu', [gemm(z, 'fc1')], {}, prefix), 'fc2');
  const mlp = (z: string): string => g.node('Sigmoid', [logits(z)], {}, prefix);
  switch (kind) {
    case 'se':
      return mlp(a);
    case 'avgmax-mul':
      return mlp(g.node('Mul', [a, maxPool()], {}, prefix));
    case 'avgmax-add':
      return mlp(g.node('Add', [a, maxPool()], {}, prefix));
    case 'dual-mul':
      return g.node('Mul', [mlp(a), mlp(maxPool())], {}, prefix);
    case 'dual-add':
      return g.node('Add', [mlp(a), mlp(maxPool())], {}, prefix);
    case 'cbam':
      return g.node('Sigmoid', [g.node('Add', [logits(a), logits(maxPool())], {}, prefix)], {}, prefix);
    default:
      throw new Error(`ONNX export: no graph for attention '${kind}'`);
  }
}

/** ECA: σ(conv1d_k(a)) with a seen as N×1×C, zero padding (k−1)/2, no bias. */
function ecaScale(g: GraphBuilder, w: StateDict, prefix: string, a: string, channels: number): string {
  const t = w.take(`${prefix}.conv.weight`); // [1, 1, k]
  const k = t.shape[2];
  const kernel = g.weight(`${prefix}.conv.weight`, t.shape, t.values);
  const row = g.node('Reshape', [a, g.int64s(`shape[-1,1,${channels}]`, [-1, 1, channels])], {}, prefix);
  const conv = g.node('Conv', [row, kernel], { kernel_shape: ints([k]), pads: ints([(k - 1) / 2, (k - 1) / 2]) }, `${prefix}.conv`);
  return g.node('Sigmoid', [conv], {}, prefix);
}
