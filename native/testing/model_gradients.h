// Test hook: one batch's loss and parameter gradients, for the gradient
// parity tests (compiled into the test addon only).
#pragma once

#include <torch/torch.h>

#include <utility>

#include "io/safetensors.h"
#include "model/model.h"

namespace senet {

// Mean cross-entropy of one batch in train mode and the gradient of every
// parameter (state_dict names). Leaves weights and buffers (BN running
// statistics) as they were; clears .grad.
std::pair<double, NamedTensors> modelGradients(Model& model, const torch::Tensor& input, const torch::Tensor& labels);

}  // namespace senet
