#include "train/optimizer.h"

#include "train/fused_sgd.h"

#include <torch/version.h>

#include <cmath>
#include <stdexcept>

namespace senet {

std::vector<OptimizedParameter> optimizedParameters(const torch::nn::Module& module, const OptimizerOptions& options) {
  std::vector<OptimizedParameter> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    const bool decay = options.decayNormAndBias || p.value().dim() > 1;
    out.push_back({p.key(), p.value(), decay});
  }
  return out;
}

Optimizer::Optimizer(std::vector<OptimizedParameter> parameters, const OptimizerOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  if (options_.type != "sgd" && options_.type != "adamw") {
    throw std::invalid_argument("optimizer.type: unknown '" + options_.type + "'; valid: sgd, adamw");
  }
}

void Optimizer::zeroGrad() {
  for (auto& p : parameters_) {
    if (p.tensor.grad().defined()) p.tensor.mutable_grad().reset();  // set_to_none, as PyTorch 2.x
  }
}

void Optimizer::step(double lr) {
  torch::NoGradGuard noGrad;
  for (auto& p : parameters_) {
    if (!p.tensor.grad().defined()) continue;
    if (options_.type == "sgd") sgdStep(p, lr);
    else adamwStep(p, lr);
  }
}

// torch.optim.sgd._single_tensor_sgd. The fused kernel does the same
// arithmetic in one pass; this op-by-op form serves every other tensor kind
// (CUDA, other dtypes) and machines without AVX2/FMA.
void Optimizer::sgdStep(OptimizedParameter& p, double lr) {
  const double wd = p.decay ? options_.weightDecay : 0.0;
  const bool useMomentum = options_.momentum != 0;
  auto it = buffers_.find(p.name);
  const bool firstStep = it == buffers_.end();
  torch::Tensor fusedBuffer = firstStep ? torch::Tensor() : it->second;
  const SgdHyper hyper{lr, wd, options_.momentum, options_.dampening, options_.nesterov};
  if (fusedSgdStep(p.tensor, p.tensor.grad(), fusedBuffer, firstStep, hyper)) {
    if (useMomentum && firstStep) buffers_.emplace(p.name, fusedBuffer);
    return;
  }
  torch::Tensor d = p.tensor.grad();
  if (wd != 0) d = d.add(p.tensor, wd);
  if (useMomentum) {
    if (firstStep) {
      it = buffers_.emplace(p.name, d.clone().detach()).first;
    } else {
      it->second.mul_(options_.momentum).add_(d, 1 - options_.dampening);
    }
    d = options_.nesterov ? d.add(it->second, options_.momentum) : it->second;
  }
  p.tensor.add_(d, -lr);
}

// torch.optim.adamw._single_tensor_adamw (amsgrad off), as the linked libtorch's PyTorch release writes it:
// 2.x moves the first moment with lerp_ (1.13: mul_ + add_), which rounds differently.
void Optimizer::adamwStep(OptimizedParameter& p, double lr) {
  const torch::Tensor& grad = p.tensor.grad();
  auto avg = buffers_.find(p.name);
  if (avg == buffers_.end()) {
    avg = buffers_.emplace(p.name, torch::zeros_like(p.tensor, torch::MemoryFormat::Preserve)).first;
    secondMoments_.emplace(p.name, torch::zeros_like(p.tensor, torch::MemoryFormat::Preserve));
    steps_[p.name] = 0;
  }
  torch::Tensor& expAvgSq = secondMoments_.at(p.name);
  const int64_t step = ++steps_[p.name];
  const double wd = p.decay ? options_.weightDecay : 0.0;
  const auto [beta1, beta2] = options_.betas;
  p.tensor.mul_(1 - lr * wd);
#if TORCH_VERSION_MAJOR >= 2
  avg->second.lerp_(grad, 1 - beta1);
#else
  avg->second.mul_(beta1).add_(grad, 1 - beta1);
#endif
  expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
  const double biasCorrection1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double biasCorrection2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double stepSize = lr / biasCorrection1;
  const torch::Tensor denom = (expAvgSq.sqrt() / std::sqrt(biasCorrection2)).add_(options_.eps);
  p.tensor.addcdiv_(avg->second, denom, -stepSize);
}

NamedTensors Optimizer::stateTensors() const {
  NamedTensors out;
  const std::string first = options_.type == "sgd" ? ".momentum_buffer" : ".exp_avg";
  for (const auto& p : parameters_) {
    auto it = buffers_.find(p.name);
    if (it == buffers_.end()) continue;
    out.emplace_back(p.name + first, it->second);
    if (options_.type == "adamw") {
      out.emplace_back(p.name + ".exp_avg_sq", secondMoments_.at(p.name));
      out.emplace_back(p.name + ".step", torch::tensor(steps_.at(p.name), torch::kInt64));
    }
  }
  return out;
}

void Optimizer::loadStateTensors(const NamedTensors& state, const std::string& origin) {
  std::map<std::string, torch::Tensor> byName(state.begin(), state.end());
  const std::string first = options_.type == "sgd" ? ".momentum_buffer" : ".exp_avg";
  std::map<std::string, torch::Tensor> buffers, second;
  std::map<std::string, int64_t> steps;
  for (const auto& p : parameters_) {
    auto it = byName.find(p.name + first);
    if (it == byName.end()) continue;  // parameter had no gradient yet
    if (it->second.sizes() != p.tensor.sizes()) {
      throw std::invalid_argument(origin + ": optimizer state '" + it->first + "' does not match the parameter's shape");
    }
    buffers[p.name] = it->second.to(p.tensor.options());
    if (options_.type == "adamw") {
      auto sq = byName.find(p.name + ".exp_avg_sq");
      auto st = byName.find(p.name + ".step");
      if (sq == byName.end() || st == byName.end() || sq->second.sizes() != p.tensor.sizes()) {
        throw std::invalid_argument(origin + ": incomplete AdamW state for '" + p.name + "'");
      }
      second[p.name] = sq->second.to(p.tensor.options());
      steps[p.name] = st->second.item<int64_t>();
    }
  }
  buffers_ = std::move(buffers);
  secondMoments_ = std::move(second);
  steps_ = std::move(steps);
}

}  // namespace senet
