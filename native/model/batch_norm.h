// BatchNorm forward for the ResNet's layers, redirectable for the duration of
// a scope: data-parallel runs synchronize the batch statistics over all
// processes (native/dist/sync_batchnorm.h) without changing the model, whose
// layers stay torchvision's BatchNorm2d (same parameters, buffers, names).
#pragma once

#include <torch/torch.h>

#include <functional>

namespace senet {

// bn(x), or the active override's result in training mode on this thread.
torch::Tensor batchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

// While alive, every training-mode batchNorm() on this thread calls `forward`
// instead (eval mode is never redirected). Not nestable.
class BatchNormOverride {
 public:
  using Forward = std::function<torch::Tensor(torch::nn::BatchNorm2dImpl&, const torch::Tensor&)>;
  explicit BatchNormOverride(Forward forward);
  ~BatchNormOverride();
  BatchNormOverride(const BatchNormOverride&) = delete;
  BatchNormOverride& operator=(const BatchNormOverride&) = delete;

 private:
  Forward forward_;
};

}  // namespace senet
