#include "runtime/device_settings.h"

#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

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

void to_json(nlohmann::json& j, const AmpName& amp) {
  if (amp.empty()) j = false;
  else j = static_cast<const std::string&>(amp);
}

void from_json(const nlohmann::json& j, AmpName& amp) {
  if (j.is_boolean() && !j.get<bool>()) amp = AmpName();
  else amp = AmpName(j.get<std::string>());
}

std::optional<at::ScalarType> ampDtype(const std::string& amp) {
  if (amp.empty()) return std::nullopt;
  if (amp == "bf16") return at::kBFloat16;
  if (amp == "fp16") return at::kHalf;
  throw std::invalid_argument("amp: unknown value '" + amp + "'; valid: false, 'bf16', 'fp16'");
}

AutocastGuard::AutocastGuard(c10::DeviceType deviceType, std::optional<at::ScalarType> dtype) : deviceType_(deviceType) {
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

}  // namespace senet
