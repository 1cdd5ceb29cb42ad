// Fused CPU path of the channel-attention blocks (see attention.h for the
// formulas). In eager PyTorch a block is ~15 small ops and as many passes over
// the activation (mean, amax, broadcast multiply, and their backwards: amax's
// alone is eq + sum + div + mul). Here one autograd node does:
//   forward   mean over H, W (ATen's kernel); one scan for max + argmax where
//             the kind needs it; the head on the N x C pooled vectors (plain
//             torch ops, tiny); one pass y = x * s
//   backward  gs = sum_hw(g * x) (ATen, as autograd reduces it); the head
//             recomputed with autograd on the tiny tensors -> d(avg), d(max)
//             and the head's parameter gradients; one pass
//             grad_x = g * s + d(avg) / HW (+ d(max) at the argmax)
// Every value is bit-identical to PyTorch eager's for the reference model:
// the sums are ATen's own kernels, and everything else is exact or done in
// the same order. That matters: training is chaotic enough that a last-bit
// difference in a pooled sum grows past the parity tolerance in ten steps.
// The max gradient goes to ONE element per plane, the first maximum in
// row-major order (a NaN wins, the last one), as adaptive_max_pool2d's
// backward does in the reference; amax's backward would instead split it
// among tied maxima (all-zero planes after a dead channel).
// Deterministic: each plane is handled by one thread in a fixed order.
#pragma once

#include <torch/torch.h>

#include "model/attention.h"

namespace senet {

// True for what the fused path handles: CPU float32 4-D tensors in the
// default (NCHW) contiguous layout, with float32 CPU head parameters.
bool fusedAttentionApplies(const torch::Tensor& x, at::TensorList params);

// x * s(x) for one block. params in headParameters() order. Builds a single
// autograd node when grad mode is on and any input requires grad. Its
// backward is not itself differentiable (no double backward).
torch::Tensor fusedChannelAttention(AttentionKind kind, const torch::Tensor& x, at::TensorList params);

}  // namespace senet
