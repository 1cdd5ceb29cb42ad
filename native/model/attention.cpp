#include "model/attention.h"

#include <cmath>
#include <stdexcept>

#include "model/fused_attention.h"

namespace senet {

AttentionKind attentionKind(const std::string& name) {
  if (name == "none") return AttentionKind::None;
  if (name == "se") return AttentionKind::SE;
  if (name == "avgmax-mul") return AttentionKind::AvgMaxMul;
  if (name == "avgmax-add") return AttentionKind::AvgMaxAdd;
  if (name == "dual-mul") return AttentionKind::DualMul;
  if (name == "dual-add") return AttentionKind::DualAdd;
  if (name == "cbam") return AttentionKind::CBAM;
  if (name == "eca") return AttentionKind::ECA;
  throw std::invalid_argument("unknown attention '" + name + "'");
}

int64_t ecaKernelSize(int64_t channels, double gamma, double b) {
  const auto t = static_cast<int64_t>(std::abs((std::log2(static_cast<double>(channels)) + b) / gamma));
  return t % 2 == 1 ? t : t + 1;
}

int64_t attentionHiddenWidth(int64_t channels, int64_t reduction) {
  return std::max<int64_t>(1, channels / reduction);
}

ChannelAttentionImpl::ChannelAttentionImpl(AttentionKind kind, int64_t channels, int64_t reduction)
    : kind_(kind) {
  if (kind == AttentionKind::None) throw std::invalid_argument("ChannelAttention needs a kind other than none");
  if (kind == AttentionKind::ECA) {
    const int64_t k = ecaKernelSize(channels);
    conv_ = register_module(
        "conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, 1, k).padding((k - 1) / 2).bias(false)));
    return;
  }
  const int64_t hidden = attentionHiddenWidth(channels, reduction);
  fc1_ = register_module("fc1", torch::nn::Linear(channels, hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden, channels));
}

bool attentionUsesMax(AttentionKind kind) {
  return kind != AttentionKind::SE && kind != AttentionKind::ECA && kind != AttentionKind::None;
}

torch::Tensor attentionHead(AttentionKind kind, const torch::Tensor& a, const torch::Tensor& m,
                            at::TensorList p) {
  // torch::linear / torch::conv1d are what nn::Linear / nn::Conv1d call.
  const auto logits = [&](const torch::Tensor& z) {
    return torch::linear(torch::relu(torch::linear(z, p[0], p[1])), p[2], p[3]);
  };
  const auto mlp = [&](const torch::Tensor& z) { return torch::sigmoid(logits(z)); };
  switch (kind) {
    case AttentionKind::SE:
      return mlp(a);
    case AttentionKind::ECA: {
      const int64_t pad = (p[0].size(2) - 1) / 2;
      return torch::sigmoid(torch::conv1d(a.unsqueeze(1), p[0], {}, /*stride=*/1, /*padding=*/pad).squeeze(1));
    }
    case AttentionKind::AvgMaxMul:
      return mlp(a * m);
    case AttentionKind::AvgMaxAdd:
      return mlp(a + m);
    case AttentionKind::DualMul:
      return mlp(a) * mlp(m);
    case AttentionKind::DualAdd:
      return mlp(a) + mlp(m);
    case AttentionKind::CBAM:
      return torch::sigmoid(logits(a) + logits(m));
    default:
      throw std::logic_error("unreachable attention kind");
  }
}

std::vector<torch::Tensor> ChannelAttentionImpl::headParameters() const {
  if (kind_ == AttentionKind::ECA) return {conv_->weight};
  return {fc1_->weight, fc1_->bias, fc2_->weight, fc2_->bias};
}

torch::Tensor ChannelAttentionImpl::forwardUnfused(const torch::Tensor& x) {
  const auto a = x.mean({2, 3});
  // adaptive_max_pool2d, not amax: its backward sends the gradient to one
  // element per plane, as the PyTorch reference model does; amax's splits it
  // among tied maxima (e.g. planes that are all zero).
  const auto m = attentionUsesMax(kind_) ? std::get<0>(torch::adaptive_max_pool2d(x, {1, 1})).flatten(1)
                                         : torch::Tensor();
  const auto s = attentionHead(kind_, a, m, headParameters());
  return x * s.view({s.size(0), s.size(1), 1, 1});
}

torch::Tensor ChannelAttentionImpl::forward(const torch::Tensor& x) {
  const auto params = headParameters();
  if (fusedAttentionApplies(x, params)) return fusedChannelAttention(kind_, x, params);
  return forwardUnfused(x);
}

}  // namespace senet
