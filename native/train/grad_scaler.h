// fp16 loss scaling (torch.cuda.amp.GradScaler) without host syncs.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "io/safetensors.h"

namespace senet {

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

}  // namespace senet
