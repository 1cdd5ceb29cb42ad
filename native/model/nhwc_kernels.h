// Memory-bound passes of the inference form (inference_form.h) on
// channels_last float32 CPU activations, each done in one sweep where eager
// PyTorch needs several: the attention's pooling (average and max together)
// and a block's tail (attention scale, residual add and ReLU together).
// Values equal eager PyTorch's up to summation order (the average), so
// these are for inference only; training keeps ATen's kernels
// (fused_attention.h explains why the last bit matters there). Other dtypes
// than float32 (the bf16 form) take ATen's ops instead of the one-pass loops.
#pragma once

#include <torch/torch.h>

namespace senet {

struct PooledNhwc {
  torch::Tensor avg;  // N x C
  torch::Tensor max;  // N x C, undefined unless asked for
};

// Global average (and max) over H, W of a channels_last N x C x H x W
// CPU tensor, as float32.
PooledNhwc poolNhwc(const torch::Tensor& x, bool withMax);

// In place: out = relu(out * s + identity), s (N x C) broadcast over H, W
// or skipped when undefined. out and identity are channels_last tensors of
// one shape that do not overlap.
void scaleAddReluNhwc_(torch::Tensor& out, const torch::Tensor& s, const torch::Tensor& identity);

}  // namespace senet
