#include "testing/attention_check.h"

#include <stdexcept>

#include "model/attention.h"
#include "model/fused_attention.h"
#include "io/safetensors.h"
#include "model/state_dict.h"

namespace senet {

void runAttentionCheck(const AttentionCheckOptions& options) {
  if (options.reduction < 1) throw std::invalid_argument("reduction must be >= 1");
  SafetensorsFile file = readSafetensors(options.input);
  torch::Tensor x, grad;
  NamedTensors state;
  for (auto& [name, tensor] : file.tensors) {
    if (name == "x") x = tensor;
    else if (name == "grad") grad = tensor;
    else state.emplace_back(name, tensor);
  }
  if (!x.defined() || !grad.defined() || x.dim() != 4 || !grad.sizes().equals(x.sizes())) {
    throw std::invalid_argument(options.input + ": needs 4-D tensors 'x' and 'grad' of the same shape");
  }
  ChannelAttention block(attentionKind(options.kind), x.size(1), options.reduction);
  loadStateDict(*block, state, options.input);
  if (options.fused && !fusedAttentionApplies(x, block->headParameters())) {
    throw std::invalid_argument("the fused attention path does not apply to this input");
  }

  x = x.contiguous().requires_grad_(true);
  torch::Tensor y = options.fused ? block->forward(x) : block->forwardUnfused(x);
  y.backward(grad);

  NamedTensors out{{"y", y.detach()}, {"grad_x", x.grad()}};
  for (const auto& item : block->named_parameters()) out.emplace_back("grad." + item.key(), item.value().grad());
  writeSafetensors(options.output, out, {{"format", "pt"}});
}

}  // namespace senet
