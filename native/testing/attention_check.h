// One attention block, forward and backward, on tensors from a file: lets the
// parity tests compare a single block (fused or unfused path) with PyTorch
// without going through a whole ResNet.
#pragma once

#include <cstdint>
#include <string>

namespace senet {

struct AttentionCheckOptions {
  std::string kind;       // canonical attention name, not "none"
  int64_t reduction = 16;
  bool fused = true;      // false: the unfused torch-op path
  std::string input;      // safetensors: x, grad (d loss / d y), the block's state_dict
  std::string output;     // written: y, grad_x, grad.<parameter name>
};

// Throws if `fused` is asked for an input the fused path does not take, so a
// test cannot pass by silently running the other path.
void runAttentionCheck(const AttentionCheckOptions& options);

}  // namespace senet
