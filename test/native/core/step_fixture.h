// What the step-strategy checks share: a small ResNet-18 (3x3 stem, one
// channel, 8x8 images, 4 classes) trained through makeStepStrategy(), and the
// same network trained by plain libtorch (forward, cross_entropy, backward,
// torch::optim's SGD or AdamW) as the reference a strategy must equal.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "train/grad_scaler.h"
#include "train/optimizer.h"
#include "train/step.h"

namespace senet::coretest {

// Batch k of the checks (seeded); nanBatch(k) is batch k with NaN images.
std::pair<torch::Tensor, torch::Tensor> batch(int k);
std::pair<torch::Tensor, torch::Tensor> nanBatch(int k);

OptimizerOptions sgdOptions();  // momentum 0.9, weight decay 1e-4, dampening 0

// Records the order of the hook calls; `poison` makes reduceLoss return NaN,
// as when another process's loss is not finite.
struct RecordingHooks : StepHooks {
  std::vector<std::string> calls;
  bool poison = false;
  void beforeForward() override { calls.push_back("beforeForward"); }
  void beforeBackward() override { calls.push_back("beforeBackward"); }
  void afterBackward() override { calls.push_back("afterBackward"); }
  double reduceLoss(double local) override;
  torch::Tensor reduceLoss(const torch::Tensor& local) override;
};

struct StrategySetup {
  bool deferredSync = false;
  bool skipNonFinite = false;
  double scalerInit = 0;  // > 0: fp16-style loss scaling (in fp32 math on CPU) from this scale
  int64_t scalerGrowthInterval = 2000;
  OptimizerOptions optimizer = sgdOptions();
  double labelSmoothing = 0;
};

struct Reported {
  StepRecord record;
  double loss;
  std::string note;
};

// The network trained through a step strategy.
class StrategyRun {
 public:
  explicit StrategyRun(const StrategySetup& setup);
  // One step on `x`, `y` as the `done`-th iteration at rate `lr`.
  void step(const std::pair<torch::Tensor, torch::Tensor>& xy, int64_t done, double lr);
  void flush() { strategy_->flush(); }

  std::vector<torch::Tensor> parameters() const;  // copies
  std::vector<torch::Tensor> buffers() const;     // BN running statistics and counts
  std::vector<torch::Tensor> optimizerState() const;
  GradScaler* scaler() { return scaler_.get(); }

  RecordingHooks hooks;
  std::vector<Reported> reports;

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<GradScaler> scaler_;
  std::unique_ptr<StepStrategy> strategy_;
};

// The same network (same seed) trained by plain libtorch.
class ReferenceRun {
 public:
  explicit ReferenceRun(const OptimizerOptions& optimizer, double labelSmoothing = 0);
  double step(const std::pair<torch::Tensor, torch::Tensor>& xy, double lr);  // returns the loss
  std::vector<torch::Tensor> parameters() const;
  std::vector<torch::Tensor> buffers() const;

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  double labelSmoothing_;
};

}  // namespace senet::coretest
