// Channel attention blocks placed after the last BN of each residual branch.
// Formulas (a = global average pool, m = global max pool, both N x C;
// MLP(z) = sigmoid(fc2(relu(fc1(z))))):
//   se         MLP(a)                       (SENet, the seed's Model 0)
//   avgmax-mul MLP(a * m)                   (Model 1)
//   avgmax-add MLP(a + m)                   (Model 2)
//   dual-mul   MLP(a) * MLP(m), shared MLP  (Model 3)
//   dual-add   MLP(a) + MLP(m), shared MLP  (Model 4, s in (0, 2))
//   cbam       sigmoid(fc2(relu(fc1(a))) + fc2(relu(fc1(m))))
//   eca        sigmoid(conv1d_k(a)), k odd from C (gamma 2, b 1), no bias
// Submodule names (fc1, fc2, conv) are the state_dict names.
#pragma once

#include <torch/torch.h>

#include <string>

namespace senet {

enum class AttentionKind { None, SE, AvgMaxMul, AvgMaxAdd, DualMul, DualAdd, CBAM, ECA };

// Takes a canonical name (see model_options.h).
AttentionKind attentionKind(const std::string& canonicalName);

// ECA-Net's adaptive kernel size: t = |(log2(C) + b) / gamma|, made odd.
int64_t ecaKernelSize(int64_t channels, double gamma = 2.0, double b = 1.0);

// Hidden width of the SE-style MLP.
int64_t attentionHiddenWidth(int64_t channels, int64_t reduction);

// Whether s depends on the max pool m (all kinds but se and eca).
bool attentionUsesMax(AttentionKind kind);

// s (N x C) from the pooled a and m (N x C; m may be undefined when the kind
// does not use it) and the head's parameters in headParameters() order. The
// one place the formulas above are written; both forward paths use it.
torch::Tensor attentionHead(AttentionKind kind, const torch::Tensor& a, const torch::Tensor& m,
                            at::TensorList params);

class ChannelAttentionImpl : public torch::nn::Module {
 public:
  ChannelAttentionImpl(AttentionKind kind, int64_t channels, int64_t reduction);
  // x * s(x): the fused kernels (fused_attention.h) for CPU float32 NCHW,
  // otherwise forwardUnfused.
  torch::Tensor forward(const torch::Tensor& x);
  // The same with plain torch ops (mean, adaptive max pool, the head,
  // broadcast multiply): the CUDA / channels_last / other-dtype path.
  torch::Tensor forwardUnfused(const torch::Tensor& x);
  // fc1.weight, fc1.bias, fc2.weight, fc2.bias; ECA: conv.weight.
  std::vector<torch::Tensor> headParameters() const;
  AttentionKind kind() const { return kind_; }

 private:

  AttentionKind kind_;
  torch::nn::Linear fc1_{nullptr};
  torch::nn::Linear fc2_{nullptr};
  torch::nn::Conv1d conv_{nullptr};
};
TORCH_MODULE(ChannelAttention);

}  // namespace senet
