#include "attention.h"

#include <cmath>
#include <stdexcept>

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

torch::Tensor ChannelAttentionImpl::mlp(const torch::Tensor& z) {
  return torch::sigmoid(fc2_->forward(torch::relu(fc1_->forward(z))));
}

torch::Tensor ChannelAttentionImpl::scale(const torch::Tensor& x) {
  const auto a = x.mean({2, 3});
  switch (kind_) {
    case AttentionKind::SE:
      return mlp(a);
    case AttentionKind::ECA:
      return torch::sigmoid(conv_->forward(a.unsqueeze(1)).squeeze(1));
    default:
      break;
  }
  const auto m = x.amax({2, 3});
  switch (kind_) {
    case AttentionKind::AvgMaxMul:
      return mlp(a * m);
    case AttentionKind::AvgMaxAdd:
      return mlp(a + m);
    case AttentionKind::DualMul:
      return mlp(a) * mlp(m);
    case AttentionKind::DualAdd:
      return mlp(a) + mlp(m);
    case AttentionKind::CBAM:
      return torch::sigmoid(fc2_->forward(torch::relu(fc1_->forward(a))) +
                            fc2_->forward(torch::relu(fc1_->forward(m))));
    default:
      throw std::logic_error("unreachable attention kind");
  }
}

torch::Tensor ChannelAttentionImpl::forward(const torch::Tensor& x) {
  const auto s = scale(x);
  return x * s.view({s.size(0), s.size(1), 1, 1});
}

}  // namespace senet
