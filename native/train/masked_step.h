// An optimizer step that a device-side flag can undo (no host sync).
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "io/safetensors.h"

namespace senet {

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
