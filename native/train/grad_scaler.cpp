#include "train/grad_scaler.h"

#include <map>
#include <stdexcept>

namespace senet {

GradScaler::GradScaler(torch::Device device, double initScale, double growthFactor, double backoffFactor,
                       int64_t growthInterval)
    : device_(device), growthFactor_(growthFactor), backoffFactor_(backoffFactor), growthInterval_(growthInterval) {
  scale_ = torch::full({}, initScale, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  growthTracker_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt32).device(device));
}

torch::Tensor GradScaler::unscale(const std::vector<torch::Tensor>& grads) const {
  torch::NoGradGuard noGrad;
  auto foundInf = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  // As GradScaler.unscale_: the reciprocal in double, then float.
  const auto invScale = scale_.to(torch::kFloat64).reciprocal().to(torch::kFloat32);
  if (grads.empty()) return foundInf;
  if (device_.is_cuda()) {
    at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, invScale);
    return foundInf;
  }
  // Same arithmetic for other devices (the fused kernel exists only for CUDA in libtorch 1.13).
  for (const auto& g : grads) {
    foundInf = torch::maximum(foundInf, g.isfinite().logical_not().any().to(torch::kFloat32));
    const_cast<torch::Tensor&>(g).mul_(invScale);
  }
  return foundInf;
}

void GradScaler::update(const torch::Tensor& foundInf) {
  torch::NoGradGuard noGrad;
  if (device_.is_cuda()) {
    at::_amp_update_scale_(scale_, growthTracker_, foundInf, growthFactor_, backoffFactor_, growthInterval_);
    return;
  }
  // aten/src/ATen/native/cuda/AmpKernels.cu amp_update_scale_cuda_kernel, as tensor ops.
  const auto found = foundInf.gt(0);
  const auto successful = growthTracker_ + 1;
  const auto grow = found.logical_not().logical_and(successful.eq(growthInterval_));
  const auto grown = scale_ * growthFactor_;
  const auto newScale =
      torch::where(found, scale_ * backoffFactor_, torch::where(grow.logical_and(grown.isfinite()), grown, scale_));
  const auto newTracker = torch::where(found.logical_or(grow), torch::zeros_like(successful), successful);
  scale_.copy_(newScale);
  growthTracker_.copy_(newTracker);
}

NamedTensors GradScaler::stateTensors() const {
  return {{"grad_scaler.scale", scale_}, {"grad_scaler.growth_tracker", growthTracker_}};
}

bool GradScaler::loadStateTensors(const NamedTensors& state, const std::string& origin) {
  std::map<std::string, torch::Tensor> byName(state.begin(), state.end());
  auto scale = byName.find("grad_scaler.scale");
  auto tracker = byName.find("grad_scaler.growth_tracker");
  if (scale == byName.end() && tracker == byName.end()) return false;
  if (scale == byName.end() || tracker == byName.end() || scale->second.numel() != 1 || tracker->second.numel() != 1) {
    throw std::invalid_argument(origin + ": incomplete grad scaler state (grad_scaler.scale, grad_scaler.growth_tracker)");
  }
  torch::NoGradGuard noGrad;
  scale_.copy_(scale->second.reshape({}).to(torch::kFloat32));
  growthTracker_.copy_(tracker->second.reshape({}).to(torch::kInt32));
  return true;
}

}  // namespace senet
