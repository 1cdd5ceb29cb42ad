// A ResNet prepared for CPU inference (float32, or bf16 for amp 'bf16'), the
// default path of Model::predict. Built from the module's current weights and
// rebuilt when they change (Model keeps it per weight version):
//   - every BatchNorm folded into the convolution before it, every
//     convolution handed to oneDNN once (folded_conv.h);
//   - one activation layout from the stem to the pooled features, so no call
//     reorders an activation between layouts: oneDNN's blocked layout for
//     models without attention, channels_last for models with it;
//   - in channels_last, ReLU fused into the convolution, a block's tail
//     (attention scale, residual add, ReLU) in one pass and the attention's
//     average and max pools in one scan (nhwc_kernels.h);
//   - large batches in cache-sized chunks.
// The logits equal eager PyTorch's to float32 rounding (the parity suite
// checks 1e-4 relative on every arch x attention x stem); the exact eager
// path stays available as predict(..., { exact: true }).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/attention.h"
#include "model/folded_conv.h"
#include "model/resnet.h"

namespace senet {

class InferenceForm {
 public:
  // dtype: float32, or bfloat16 (predict with amp 'bf16': convolutions in
  // bf16 with float32 accumulation, the attention head and classifier in float32).
  InferenceForm(ResNetImpl& net, at::ScalarType dtype);
  // x: N x C x H x W float32 CPU in any layout; returns N x classes float32 logits.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  struct Block {
    FoldedConv conv1, conv2, conv3;  // conv3 only in bottlenecks
    FoldedConv downsample;           // undefined when the identity is the input
    AttentionKind attention = AttentionKind::None;
    std::vector<torch::Tensor> head;  // the attention head's parameters, headParameters() order
  };
  Block prepareBlock(torch::nn::Module& block) const;
  torch::Tensor runBlock(Block& block, const torch::Tensor& x);
  // The whole net in oneDNN's blocked layout (mkldnn tensors), residual add
  // and ReLU as oneDNN eltwise ops; only for models without attention
  // (oneDNN tensors have no broadcasting multiply for the attention scale).
  torch::Tensor forwardBlocked(const torch::Tensor& x);
  torch::Tensor forwardChannelsLast(const torch::Tensor& x);
  bool useBlocked() const;
  // Images per pass: a large batch runs in chunks whose activations stay
  // near the caches (measured: ResNet-18/50 at 224x224 are fastest at 4-8
  // images per pass, 10-25% ahead of one pass of 32).
  int64_t chunkSize(const torch::Tensor& x) const;

  at::ScalarType dtype_;
  FoldedConv stem_;
  bool stemMaxPool_ = false;
  bool attention_ = false;
  int64_t layer1Channels_ = 64;  // 64 * block expansion
  std::vector<Block> blocks_;
  torch::Tensor fcWeight_, fcBias_;
};

}  // namespace senet
