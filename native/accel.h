// Speed features for CUDA training and inference, written so that they
// compile against libtorch 1.13 and 2.x (CPU-only or CUDA builds):
//   - AutocastGuard: autocast (bf16/fp16) around forward + loss, RAII;
//   - GradScaler: torch.cuda.amp.GradScaler's dynamic loss scaling for fp16;
//   - channels_last conversion of a module's 4-D parameters/buffers;
//   - CudnnBenchmarkGuard: cuDNN autotuning for the duration of a run.
// Nothing here synchronizes with the device.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "safetensors.h"

namespace senet {

// "bf16" | "fp16" -> the autocast dtype; "" -> none. Throws std::invalid_argument otherwise.
c10::optional<at::ScalarType> ampDtype(const std::string& amp);

// Enables autocast for `deviceType` with `dtype` on this thread while alive
// and restores the previous state (enabled flag, dtype) afterwards; the cast
// cache is cleared when the outermost autocast region ends, as torch.autocast
// does. A disengaged guard (no dtype) does nothing.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType deviceType, c10::optional<at::ScalarType> dtype);
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

// Dynamic loss scaling with torch.cuda.amp.GradScaler's semantics and defaults:
// scale starts at initScale; after `growthInterval` consecutive steps without
// inf/NaN gradients it grows by growthFactor; a step with inf/NaN gradients is
// skipped and the scale shrinks by backoffFactor. All state stays on the
// device (0-dim tensors), so no step needs a host sync. On CUDA it uses the
// same kernels as PyTorch (_amp_foreach_non_finite_check_and_unscale_,
// _amp_update_scale_); elsewhere the same arithmetic in plain tensor ops.
class GradScaler {
 public:
  GradScaler(torch::Device device, double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5,
             int64_t growthInterval = 2000);

  torch::Tensor scale(const torch::Tensor& loss) const { return loss * scale_; }
  // Divides the gradients by the scale in place; returns found_inf (float 0-dim: 1 if any value is inf/NaN).
  torch::Tensor unscale(const std::vector<torch::Tensor>& grads) const;
  // Backs off or grows the scale according to `foundInf`.
  void update(const torch::Tensor& foundInf);

  const torch::Tensor& scaleTensor() const { return scale_; }
  const torch::Tensor& growthTracker() const { return growthTracker_; }
  // For checkpoints: "grad_scaler.scale" (F32) and "grad_scaler.growth_tracker" (I32 as I64 on disk).
  NamedTensors stateTensors() const;
  // Returns false (state unchanged) when `state` holds no scaler entries.
  bool loadStateTensors(const NamedTensors& state, const std::string& origin);

 private:
  torch::Device device_;
  double growthFactor_, backoffFactor_;
  int64_t growthInterval_;
  torch::Tensor scale_;          // float32, 0-dim
  torch::Tensor growthTracker_;  // int32, 0-dim
};

// Makes an optimizer step conditional on a device-side flag without a host
// sync: snapshot() copies the parameters and the optimizer state that exist
// before the step; commit(skip) puts back the snapshot wherever `skip` (bool
// 0-dim) is true, and zeroes optimizer state created by the step. Exact for
// optimizers whose freshly created state acts like zeros (SGD with dampening 0,
// AdamW's moments — not AdamW's host-side step count).
class MaskedStep {
 public:
  void snapshot(const std::vector<torch::Tensor>& parameters, const NamedTensors& optimizerState);
  void commit(const torch::Tensor& skip, const std::vector<torch::Tensor>& parameters, const NamedTensors& optimizerState);

 private:
  std::vector<torch::Tensor> parameters_;
  std::vector<std::pair<std::string, torch::Tensor>> state_;
};

}  // namespace senet
