#include "model/resnet.h"

#include "model/batch_norm.h"

namespace senet {

namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

torch::nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

int64_t countParameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

// Output size of a conv/pool with the given kernel, stride and padding.
int64_t convOut(int64_t size, int64_t kernel, int64_t stride, int64_t padding) {
  return (size + 2 * padding - kernel) / stride + 1;
}

// downsample = Sequential(conv1x1, BatchNorm2d), as torchvision names it;
// run layer by layer so its BatchNorm goes through batchNorm() too.
torch::Tensor downsampled(torch::nn::Sequential& downsample, const torch::Tensor& x) {
  return batchNorm(*downsample[1]->as<torch::nn::BatchNorm2d>(), downsample[0]->as<torch::nn::Conv2d>()->forward(x));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(const BlockConfig& c, torch::nn::Sequential downsample) {
  conv1_ = register_module("conv1", conv3x3(c.inplanes, c.planes, c.stride));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(c.planes));
  conv2_ = register_module("conv2", conv3x3(c.planes, c.planes));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(c.planes));
  if (downsample) downsample_ = register_module("downsample", downsample);
  // Registered last, as a subclass of torchvision's block adding `self.se`
  // after super().__init__() would: that fixes the state_dict order.
  if (c.attention != AttentionKind::None) {
    se_ = register_module("se", ChannelAttention(c.attention, c.planes * kExpansion, c.reduction));
  }
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  auto out = batchNorm(*bn1_, conv1_->forward(x)).relu_();
  out = batchNorm(*bn2_, conv2_->forward(out));
  if (se_) out = se_->forward(out);
  out += downsample_ ? downsampled(downsample_, x) : x;
  return out.relu_();
}

BottleneckImpl::BottleneckImpl(const BlockConfig& c, torch::nn::Sequential downsample) {
  const int64_t width = c.planes;  // groups 1, base width 64
  conv1_ = register_module("conv1", conv1x1(c.inplanes, width));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(width));
  conv2_ = register_module("conv2", conv3x3(width, width, c.stride));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(width));
  conv3_ = register_module("conv3", conv1x1(width, c.planes * kExpansion));
  bn3_ = register_module("bn3", torch::nn::BatchNorm2d(c.planes * kExpansion));
  if (downsample) downsample_ = register_module("downsample", downsample);
  // Registered last, as a subclass of torchvision's block adding `self.se`
  // after super().__init__() would: that fixes the state_dict order.
  if (c.attention != AttentionKind::None) {
    se_ = register_module("se", ChannelAttention(c.attention, c.planes * kExpansion, c.reduction));
  }
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  auto out = batchNorm(*bn1_, conv1_->forward(x)).relu_();
  out = batchNorm(*bn2_, conv2_->forward(out)).relu_();
  out = batchNorm(*bn3_, conv3_->forward(out));
  if (se_) out = se_->forward(out);
  out += downsample_ ? downsampled(downsample_, x) : x;
  return out.relu_();
}

ResNetImpl::ResNetImpl(const ModelOptions& options)
    : options_(options), attention_(attentionKind(options.attention)) {
  if (options_.stem == "imagenet") {
    conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(options_.inChannels, 64, 7)
                                                            .stride(2)
                                                            .padding(3)
                                                            .bias(false)));
  } else {
    conv1_ = register_module("conv1", conv3x3(options_.inChannels, 64));
  }
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(64));
  const auto& arch = options_.arch;
  if (arch == "resnet18") build<BasicBlock>({2, 2, 2, 2});
  else if (arch == "resnet34") build<BasicBlock>({3, 4, 6, 3});
  else if (arch == "resnet50") build<Bottleneck>({3, 4, 6, 3});
  else if (arch == "resnet101") build<Bottleneck>({3, 4, 23, 3});
  else if (arch == "resnet152") build<Bottleneck>({3, 8, 36, 3});
  else throw std::invalid_argument("unknown arch '" + arch + "'");
  initialize();
}

template <typename Block>
void ResNetImpl::build(const std::vector<int64_t>& layers) {
  expansion_ = Block::Impl::kExpansion;
  layer1_ = register_module("layer1", makeLayer<Block>(64, layers[0], 1));
  layer2_ = register_module("layer2", makeLayer<Block>(128, layers[1], 2));
  layer3_ = register_module("layer3", makeLayer<Block>(256, layers[2], 2));
  layer4_ = register_module("layer4", makeLayer<Block>(512, layers[3], 2));
  fc_ = register_module("fc", torch::nn::Linear(512 * expansion_, options_.numClasses));
}

template <typename Block>
torch::nn::Sequential ResNetImpl::makeLayer(int64_t planes, int64_t blocks, int64_t stride) {
  const int64_t expansion = Block::Impl::kExpansion;
  torch::nn::Sequential downsample{nullptr};
  if (stride != 1 || inplanes_ != planes * expansion) {
    downsample = torch::nn::Sequential(conv1x1(inplanes_, planes * expansion, stride),
                                       torch::nn::BatchNorm2d(planes * expansion));
  }
  torch::nn::Sequential layer;
  layer->push_back(Block(BlockConfig{inplanes_, planes, stride, attention_, options_.reduction}, downsample));
  inplanes_ = planes * expansion;
  for (int64_t i = 1; i < blocks; ++i) {
    layer->push_back(Block(BlockConfig{inplanes_, planes, 1, attention_, options_.reduction}, nullptr));
  }
  return layer;
}

// torchvision's init: Kaiming-normal (fan_out, ReLU) for every Conv2d, BN
// weight 1 / bias 0, Linear and Conv1d keep PyTorch's default init. Visiting
// modules in registration order draws random numbers in PyTorch's order.
void ResNetImpl::initialize() {
  torch::NoGradGuard noGrad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
  if (!options_.zeroInitResidual) return;
  for (auto& module : modules(false)) {
    if (auto* block = module->as<BasicBlock>()) torch::nn::init::zeros_(block->lastNorm()->weight);
    if (auto* block = module->as<Bottleneck>()) torch::nn::init::zeros_(block->lastNorm()->weight);
  }
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = batchNorm(*bn1_, conv1_->forward(x)).relu_();
  if (options_.stem == "imagenet") x = torch::max_pool2d(x, 3, 2, 1);
  x = layer4_->forward(layer3_->forward(layer2_->forward(layer1_->forward(x))));
  x = torch::flatten(torch::adaptive_avg_pool2d(x, {1, 1}), 1);
  return fc_->forward(x);
}

std::vector<StageSummary> ResNetImpl::summary(int64_t height, int64_t width) const {
  std::vector<StageSummary> rows;
  int64_t h = height, w = width;
  if (options_.stem == "imagenet") {
    h = convOut(convOut(h, 7, 2, 3), 3, 2, 1);
    w = convOut(convOut(w, 7, 2, 3), 3, 2, 1);
  }
  rows.push_back({"stem", {64, h, w}, countParameters(*conv1_) + countParameters(*bn1_)});
  const std::vector<std::pair<std::string, torch::nn::Sequential>> layers = {
      {"layer1", layer1_}, {"layer2", layer2_}, {"layer3", layer3_}, {"layer4", layer4_}};
  int64_t planes = 64;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) {
      h = convOut(h, 3, 2, 1);
      w = convOut(w, 3, 2, 1);
    }
    rows.push_back({layers[i].first, {planes * expansion_, h, w}, countParameters(*layers[i].second)});
    planes *= 2;
  }
  rows.push_back({"avgpool", {512 * expansion_}, 0});
  rows.push_back({"fc", {options_.numClasses}, countParameters(*fc_)});
  return rows;
}

}  // namespace senet
