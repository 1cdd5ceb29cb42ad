// Device speed settings, written so that they compile against libtorch 1.13
// and 2.x (CPU-only or CUDA builds): the amp dtype, autocast as an RAII guard,
// cuDNN autotuning for the duration of a run, channels_last conversion of a
// module. Nothing here synchronizes with the device.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace senet {

// A mixed-precision setting: "" (off), "bf16" or "fp16". In JSON (options
// from JS, checkpoints) off is `false`, as in the JS API.
struct AmpName : std::string {
  using std::string::string;
  AmpName(std::string name) : std::string(std::move(name)) {}
};
void to_json(nlohmann::json& j, const AmpName& amp);
void from_json(const nlohmann::json& j, AmpName& amp);

// "bf16" | "fp16" -> the autocast dtype; "" -> none. Throws std::invalid_argument otherwise.
std::optional<at::ScalarType> ampDtype(const std::string& amp);

// Enables autocast for `deviceType` with `dtype` on this thread while alive
// and restores the previous state (enabled flag, dtype) afterwards; the cast
// cache is cleared when the outermost autocast region ends, as torch.autocast
// does. A disengaged guard (no dtype) does nothing.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType deviceType, std::optional<at::ScalarType> dtype);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool engaged_ = false;
  c10::DeviceType deviceType_;
  bool previousEnabled_ = false;
  at::ScalarType previousDtype_ = at::kFloat;
};

// Sets cuDNN's benchmark mode while alive (process-wide in libtorch) and
// restores the previous value.
class CudnnBenchmarkGuard {
 public:
  explicit CudnnBenchmarkGuard(bool enable);
  ~CudnnBenchmarkGuard();
  CudnnBenchmarkGuard(const CudnnBenchmarkGuard&) = delete;
  CudnnBenchmarkGuard& operator=(const CudnnBenchmarkGuard&) = delete;

 private:
  bool previous_;
};

// Rewrites every 4-D parameter and buffer of `module` in `format` (as
// model.to(memory_format=...) does in PyTorch). Values are unchanged.
void convertMemoryFormat(torch::nn::Module& module, c10::MemoryFormat format);

}  // namespace senet
