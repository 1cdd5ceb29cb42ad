#include "model/folded_conv.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/version.h>

#include <optional>

namespace senet {

namespace {

// The prepacked-convolution operators, looked up by name: they are
// registered by libtorch's oneDNN integration and have no C++ declaration
// in its public headers.
struct PrepackedOps {
  std::optional<c10::OperatorHandle> prepack;
  std::optional<c10::OperatorHandle> run;
};

const PrepackedOps& prepackedOps() {
  static const PrepackedOps ops = [] {
    PrepackedOps o;
    auto& dispatcher = c10::Dispatcher::singleton();
    // findSchema returns c10::optional before libtorch 2.x's std::optional.
    auto prepack = dispatcher.findSchema({"mkldnn_prepacked::conv2d_prepack", ""});
    auto run = dispatcher.findSchema({"mkldnn_prepacked::conv2d_run", ""});
    if (prepack && run) {
      o.prepack.emplace(*prepack);
      o.run.emplace(*run);
    }
    return o;
  }();
  return ops;
}

std::vector<int64_t> toVector(at::IntArrayRef values) { return {values.begin(), values.end()}; }

}  // namespace

bool FoldedConv::prepackedAvailable() { return prepackedOps().prepack.has_value(); }

bool FoldedConv::blockedAvailable() { return at::hasMKLDNN(); }

FoldedConv::FoldedConv(torch::nn::Conv2dImpl& conv, torch::nn::BatchNorm2dImpl& bn, bool relu,
                       at::ScalarType dtype)
    : relu_(relu) {
  const auto& o = conv.options;
  stride_ = toVector(o.stride());
  // The model builds every conv with explicit integer padding ('valid' /
  // 'same' never occur); c10::variant became std::variant in libtorch 2.1.
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 1)
  const auto* explicitPadding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
#else
  const auto* explicitPadding = std::get_if<torch::ExpandingArray<2>>(&o.padding());
#endif
  TORCH_CHECK(explicitPadding, "FoldedConv needs a convolution with explicit integer padding");
  padding_ = toVector(*explicitPadding);
  dilation_ = toVector(o.dilation());
  groups_ = o.groups();
  const auto dbl = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64); };
  const auto scale = dbl(bn.weight) / torch::sqrt(dbl(bn.running_var) + bn.options.eps());
  const auto convBias = conv.bias.defined() ? dbl(conv.bias) : torch::zeros_like(scale);
  // Folded in float64, rounded once to the compute dtype; the bias stays
  // float32 (oneDNN adds it in float32 for bf16 convolutions too).
  weight_ = (dbl(conv.weight) * scale.view({-1, 1, 1, 1})).to(dtype).contiguous();
  bias_ = (dbl(bn.bias) + (convBias - dbl(bn.running_mean)) * scale).to(torch::kFloat32).contiguous();
  if (!prepackedAvailable()) {
    weight_ = weight_.contiguous(c10::MemoryFormat::ChannelsLast);
    bias_ = bias_.to(dtype);  // at::conv2d wants one dtype
  }
}

torch::Tensor FoldedConv::operator()(const torch::Tensor& x) {
  const auto& ops = prepackedOps();
  if (!ops.prepack) {
    auto y = at::conv2d(x, weight_, bias_, stride_, padding_, dilation_, groups_);
    return (relu_ ? y.relu_() : y).contiguous(c10::MemoryFormat::ChannelsLast);
  }
  if (packed_.isNone()) {
    TORCH_CHECK(weight_.defined(), "FoldedConv: already packed for the blocked layout");
    torch::jit::Stack stack{weight_, bias_, stride_, padding_, dilation_, groups_, toVector(x.sizes()),
                            std::string(relu_ ? "relu" : "none")};
    ops.prepack->callBoxed(&stack);
    packed_ = std::move(stack.at(0));
    weight_ = torch::Tensor();
  }
  torch::jit::Stack stack{x, packed_};
  ops.run->callBoxed(&stack);
  // A 1-channel input is as much NCHW as NHWC, and oneDNN then answers NCHW.
  return stack.at(0).toTensor().contiguous(c10::MemoryFormat::ChannelsLast);
}

torch::Tensor FoldedConv::blocked(const torch::Tensor& x) {
  if (!blockedWeight_.defined()) {
    TORCH_CHECK(weight_.defined(), "FoldedConv: already packed for the channels_last layout");
    blockedWeight_ = at::mkldnn_reorder_conv2d_weight(weight_.to_mkldnn(), padding_, stride_, dilation_, groups_);
    weight_ = torch::Tensor();
  }
  auto y = at::mkldnn_convolution(x, blockedWeight_, bias_, padding_, stride_, dilation_, groups_);
  return relu_ ? y.relu_() : y;
}

}  // namespace senet
