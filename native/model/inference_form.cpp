#include "model/inference_form.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "model/nhwc_kernels.h"

namespace senet {

namespace {

// A registered submodule by its state_dict name, or nullptr.
torch::nn::Module* child(torch::nn::Module& parent, const std::string& name) {
  const auto children = parent.named_children();
  const auto* found = children.find(name);
  return found ? found->get() : nullptr;
}

template <typename Impl>
Impl& childAs(torch::nn::Module& parent, const std::string& name) {
  auto* module = child(parent, name);
  auto* typed = module ? module->as<Impl>() : nullptr;
  if (!typed) throw std::logic_error("inference form: the model has no submodule '" + name + "' of the expected type");
  return *typed;
}

FoldedConv fold(torch::nn::Module& parent, const std::string& conv, const std::string& bn, bool relu,
                at::ScalarType dtype) {
  return FoldedConv(childAs<torch::nn::Conv2dImpl>(parent, conv), childAs<torch::nn::BatchNorm2dImpl>(parent, bn),
                    relu, dtype);
}

}  // namespace

InferenceForm::InferenceForm(ResNetImpl& net, at::ScalarType dtype) : dtype_(dtype) {
  torch::NoGradGuard noGrad;
  stem_ = fold(net, "conv1", "bn1", /*relu=*/true, dtype_);
  stemMaxPool_ = net.options().stem == "imagenet";
  for (const char* layer : {"layer1", "layer2", "layer3", "layer4"}) {
    auto& sequential = childAs<torch::nn::SequentialImpl>(net, layer);
    for (const auto& block : sequential.children()) blocks_.push_back(prepareBlock(*block));
  }
  attention_ = blocks_.front().attention != AttentionKind::None;
  auto& fc = childAs<torch::nn::LinearImpl>(net, "fc");
  layer1Channels_ = fc.options.in_features() / 8;  // layer4 has 8x layer1's channels (512 * expansion)
  fcWeight_ = fc.weight.detach().clone();
  fcBias_ = fc.bias.detach().clone();
}

InferenceForm::Block InferenceForm::prepareBlock(torch::nn::Module& module) const {
  Block b;
  const bool bottleneck = child(module, "conv3") != nullptr;
  b.conv1 = fold(module, "conv1", "bn1", /*relu=*/true, dtype_);
  b.conv2 = fold(module, "conv2", "bn2", /*relu=*/bottleneck, dtype_);
  if (bottleneck) b.conv3 = fold(module, "conv3", "bn3", /*relu=*/false, dtype_);
  if (child(module, "downsample")) {
    b.downsample = fold(childAs<torch::nn::SequentialImpl>(module, "downsample"), "0", "1", /*relu=*/false, dtype_);
  }
  if (child(module, "se")) {
    auto& se = childAs<ChannelAttentionImpl>(module, "se");
    b.attention = se.kind();
    for (const auto& p : se.headParameters()) b.head.push_back(p.detach().clone());
  }
  return b;
}

torch::Tensor InferenceForm::runBlock(Block& b, const torch::Tensor& x) {
  auto out = b.conv2(b.conv1(x));
  if (b.conv3.defined()) out = b.conv3(out);
  torch::Tensor scale;
  if (b.attention != AttentionKind::None) {
    const auto pooled = poolNhwc(out, attentionUsesMax(b.attention));
    scale = attentionHead(b.attention, pooled.avg, pooled.max, b.head).contiguous();
  }
  const auto identity = b.downsample.defined() ? b.downsample(x) : x;
  scaleAddReluNhwc_(out, scale, identity);
  return out;
}

// Measured on ResNet-18/50 at 224x224, 2 threads, batches of 1-8: the blocked
// layout is 5-20% ahead of channels_last with oneDNN's prepacked
// convolutions, so models without attention use it.
bool InferenceForm::useBlocked() const { return !attention_ && FoldedConv::blockedAvailable(); }

int64_t InferenceForm::chunkSize(const torch::Tensor& x) const {
  // The largest activations of one image: the stem's output and layer1's
  // (64 and 64 * expansion channels at the same resolution after the pool).
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t stemPixels = stemMaxPool_ ? ((h + 1) / 2) * ((w + 1) / 2) : h * w;
  const int64_t layer1Pixels = stemMaxPool_ ? ((h + 3) / 4) * ((w + 3) / 4) : h * w;
  const int64_t bytes = static_cast<int64_t>(c10::elementSize(dtype_)) * std::max(64 * stemPixels, layer1Channels_ * layer1Pixels);
  constexpr int64_t kActivationBudget = int64_t{26} << 20;  // 8 images of ResNet-50 at 224x224
  return std::max<int64_t>(1, kActivationBudget / std::max<int64_t>(1, bytes));
}

torch::Tensor InferenceForm::forward(const torch::Tensor& input) {
  const auto run = [&](const torch::Tensor& x) { return useBlocked() ? forwardBlocked(x) : forwardChannelsLast(x); };
  const int64_t chunk = chunkSize(input);
  if (input.size(0) <= chunk) return run(input);
  std::vector<torch::Tensor> logits;
  for (const auto& part : input.split(chunk)) logits.push_back(run(part));
  return torch::cat(logits);
}

torch::Tensor InferenceForm::forwardBlocked(const torch::Tensor& input) {
  auto x = stem_.blocked(input.contiguous().to_mkldnn(dtype_));
  if (stemMaxPool_) x = torch::max_pool2d(x, 3, 2, 1);
  for (auto& b : blocks_) {
    auto out = b.conv2.blocked(b.conv1.blocked(x));
    if (b.conv3.defined()) out = b.conv3.blocked(out);
    out.add_(b.downsample.defined() ? b.downsample.blocked(x) : x).relu_();
    x = out;
  }
  const auto pooled = torch::adaptive_avg_pool2d(x, {1, 1}).to_dense().flatten(1).to(torch::kFloat32);
  return torch::linear(pooled, fcWeight_, fcBias_);
}

torch::Tensor InferenceForm::forwardChannelsLast(const torch::Tensor& input) {
  auto x = stem_(input.to(dtype_).contiguous(c10::MemoryFormat::ChannelsLast));
  if (stemMaxPool_) x = torch::max_pool2d(x, 3, 2, 1).contiguous(c10::MemoryFormat::ChannelsLast);
  for (auto& block : blocks_) x = runBlock(block, x);
  return torch::linear(poolNhwc(x, /*withMax=*/false).avg, fcWeight_, fcBias_);
}

}  // namespace senet
