// PyTorch-ordered state_dict over a libtorch module tree, and a strict,
// all-or-nothing load.
#pragma once

#include <torch/torch.h>

#include <string>

#include "io/safetensors.h"

namespace senet {

// Same order as torch.nn.Module.state_dict(): a module's own parameters, then
// its own buffers, then each child in registration order.
NamedTensors orderedStateDict(const torch::nn::Module& module);

// Copies `source` into the module's parameters and buffers. Strict: every key
// must be present with the model's shape, and no extra key may appear. All
// checks run before the first copy, so a failed load leaves the model as it
// was. `origin` names the file in messages.
void loadStateDict(torch::nn::Module& module, const NamedTensors& source, const std::string& origin);

std::string shapeString(at::IntArrayRef shape);

}  // namespace senet
