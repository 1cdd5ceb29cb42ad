// SGD and AdamW written out step for step as torch.optim's single-tensor
// implementations (same operation order, so results match PyTorch to float
// rounding). State is keyed by state_dict name, so it checkpoints as plain
// safetensors without pickling.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "train/train_options.h"

namespace senet {

struct OptimizedParameter {
  std::string name;
  torch::Tensor tensor;
  bool decay;  // receives weight decay
};

class Optimizer {
 public:
  Optimizer(std::vector<OptimizedParameter> parameters, const OptimizerOptions& options);

  void zeroGrad();
  void step(double lr);

  // Buffers as "<param>.momentum_buffer" / ".exp_avg" / ".exp_avg_sq"; step counts as "<param>.step".
  NamedTensors stateTensors() const;
  void loadStateTensors(const NamedTensors& state, const std::string& origin);

 private:
  void sgdStep(OptimizedParameter& p, double lr);
  void adamwStep(OptimizedParameter& p, double lr);

  std::vector<OptimizedParameter> parameters_;
  OptimizerOptions options_;
  std::map<std::string, torch::Tensor> buffers_;  // name -> momentum / exp_avg
  std::map<std::string, torch::Tensor> secondMoments_;
  std::map<std::string, int64_t> steps_;
};

// Splits named parameters into decayed and non-decayed ones: with
// decayNormAndBias false, every 1-D parameter (BN weight/bias, biases) is
// excluded from weight decay, as timm's param_groups_weight_decay does.
std::vector<OptimizedParameter> optimizedParameters(const torch::nn::Module& module, const OptimizerOptions& options);

}  // namespace senet
