#include "accel.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <map>
#include <stdexcept>

// libtorch 2.4 replaced the CUDA-only autocast setters (set_enabled,
// set_autocast_gpu_dtype, ...) with device-typed ones and deprecated the old
// names; 1.13 has only the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SENET_AUTOCAST_DEVICE_API 1
#else
#define SENET_AUTOCAST_DEVICE_API 0
#endif

namespace senet {

namespace {

bool autocastEnabled(c10::DeviceType type) {
#if SENET_AUTOCAST_DEVICE_API
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void setAutocastEnabled(c10::DeviceType type, bool enabled) {
#if SENET_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CUDA) at::autocast::set_enabled(enabled);
  else at::autocast::set_cpu_enabled(enabled);
#endif
}

at::ScalarType autocastDtype(c10::DeviceType type) {
#if SENET_AUTOCAST_DEVICE_API
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void setAutocastDtype(c10::DeviceType type, at::ScalarType dtype) {
#if SENET_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == c10::DeviceType::CUDA) at::autocast::set_autocast_gpu_dtype(dtype);
  else at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

c10::optional<at::ScalarType> ampDtype(const std::string& amp) {
  if (amp.empty()) return c10::nullopt;
  if (amp == "bf16") return at::kBFloat16;
  if (amp == "fp16") return at::kHalf;
  throw std::invalid_argument("amp: unknown value '" + amp + "'; valid: false, 'bf16', 'fp16'");
}

AutocastGuard::AutocastGuard(c10::DeviceType deviceType, c10::optional<at::ScalarType> dtype) : deviceType_(deviceType) {
  if (!dtype) return;
  previousEnabled_ = autocastEnabled(deviceType_);
  previousDtype_ = autocastDtype(deviceType_);
  setAutocastDtype(deviceType_, *dtype);
  setAutocastEnabled(deviceType_, true);
  at::autocast::increment_nesting();
  engaged_ = true;
}

AutocastGuard::~AutocastGuard() {
  if (!engaged_) return;
  // torch.autocast.__exit__: drop the cached casts of the weights when the outermost region ends.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  setAutocastEnabled(deviceType_, previousEnabled_);
  setAutocastDtype(deviceType_, previousDtype_);
}

CudnnBenchmarkGuard::CudnnBenchmarkGuard(bool enable) : previous_(at::globalContext().benchmarkCuDNN()) {
  at::globalContext().setBenchmarkCuDNN(enable);
}

CudnnBenchmarkGuard::~CudnnBenchmarkGuard() { at::globalContext().setBenchmarkCuDNN(previous_); }

void convertMemoryFormat(torch::nn::Module& module, c10::MemoryFormat format) {
  torch::NoGradGuard noGrad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4 && !p.is_contiguous(format)) p.set_data(p.data().contiguous(format));
  }
  for (auto& b : module.buffers()) {
    if (b.dim() == 4 && !b.is_contiguous(format)) b.set_data(b.data().contiguous(format));
  }
}

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

void MaskedStep::snapshot(const std::vector<torch::Tensor>& parameters, const NamedTensors& optimizerState) {
  torch::NoGradGuard noGrad;
  parameters_.clear();
  state_.clear();
  for (const auto& p : parameters) parameters_.push_back(p.detach().clone());
  for (const auto& [name, t] : optimizerState) state_.emplace_back(name, t.detach().clone());
}

void MaskedStep::commit(const torch::Tensor& skip, const std::vector<torch::Tensor>& parameters,
                        const NamedTensors& optimizerState) {
  torch::NoGradGuard noGrad;
  if (parameters.size() != parameters_.size()) throw std::logic_error("MaskedStep: parameter list changed");
  for (size_t i = 0; i < parameters.size(); ++i) {
    auto p = parameters[i];
    p.copy_(torch::where(skip, parameters_[i], p));
  }
  std::map<std::string, const torch::Tensor*> before;
  for (const auto& [name, t] : state_) before[name] = &t;
  for (const auto& [name, t] : optimizerState) {
    auto live = t;
    auto it = before.find(name);
    if (it != before.end()) live.copy_(torch::where(skip, *it->second, live));
    else live.masked_fill_(skip, 0);  // created by a skipped step: as if it had never existed
  }
  parameters_.clear();
  state_.clear();
}

}  // namespace senet
