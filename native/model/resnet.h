// torchvision's ResNet (v1.5: stride on the 3x3 of the bottleneck) with an
// optional channel-attention block per residual branch. Every submodule is
// registered under its torchvision name, so named_parameters()/buffers() are
// torchvision's state_dict names; the attention block is registered as "se".
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

#include <string>
#include <vector>

#include "model/attention.h"
#include "model/model_options.h"

namespace senet {

struct BlockConfig {
  int64_t inplanes;
  int64_t planes;
  int64_t stride;
  AttentionKind attention;
  int64_t reduction;
};

class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  // `downsample` is built by the caller before the block, as torchvision's
  // _make_layer does; that order is what makes seeded inits equal PyTorch's.
  BasicBlockImpl(const BlockConfig& config, torch::nn::Sequential downsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::BatchNorm2d& lastNorm() { return bn2_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  ChannelAttention se_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(const BlockConfig& config, torch::nn::Sequential downsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::BatchNorm2d& lastNorm() { return bn3_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  ChannelAttention se_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

// One row of Model::summary(): a stage's output shape for one image and the
// parameters it owns.
struct StageSummary {
  std::string name;
  std::vector<int64_t> outputShape;  // C, H, W (or just C for pool/fc)
  int64_t parameters;
};
// The wire form: lib/native.ts StageSummary.
SENET_WIRE_FIELDS(StageSummary, name, outputShape, parameters)

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const ModelOptions& options);  // options must be validated()
  torch::Tensor forward(torch::Tensor x);
  std::vector<StageSummary> summary(int64_t height, int64_t width) const;
  const ModelOptions& options() const { return options_; }

 private:
  template <typename Block>
  torch::nn::Sequential makeLayer(int64_t planes, int64_t blocks, int64_t stride);
  template <typename Block>
  void build(const std::vector<int64_t>& layers);
  void initialize();

  ModelOptions options_;
  AttentionKind attention_;
  int64_t inplanes_ = 64;
  int64_t expansion_ = 1;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr}, layer4_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace senet
