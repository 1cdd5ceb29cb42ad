#include "train/masked_step.h"

#include <map>
#include <stdexcept>

namespace senet {

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
