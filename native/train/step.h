// One training step — forward and loss under autocast, backward, the
// optimizer update — and when its loss is read back to the host. Three
// strategies, chosen once per run by makeStepStrategy():
//   - PerStepSync: reads the loss every step (CPU; AdamW or SGD with
//     dampening anywhere): a non-finite loss is caught before the update;
//   - Deferred: no host sync inside a step (CUDA, SGD with dampening 0): losses
//     stay on the device and are read at log/eval/checkpoint points;
//   - MaskedDeferred: Deferred, plus each update is undone on the device when
//     its loss (or, with fp16 loss scaling, a gradient) is not finite — only
//     where a step may have to be skipped (fp16, skipNonFinite), since undoing
//     costs a copy of the parameters and optimizer state per step.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/resnet.h"
#include "train/grad_scaler.h"
#include "train/optimizer.h"

namespace senet {

// Where a step's gradients meet other processes (native/dist): called around
// each step; a single-process run has none.
class StepHooks {
 public:
  virtual ~StepHooks() = default;
  virtual void beforeForward() {}
  // Just before backward (not called when a step skips it).
  virtual void beforeBackward() {}
  // After backward, before the optimizer update: e.g. wait for the gradient all-reduce.
  virtual void afterBackward() {}
  // The loss as the whole run sees it: the mean over processes (a NaN/inf
  // anywhere makes it non-finite everywhere, so every process skips or stops
  // together). Single process: `local`. The tensor form reduces a 0-dim or
  // 1-D tensor of losses on the device (no host sync).
  virtual double reduceLoss(double local) { return local; }
  virtual torch::Tensor reduceLoss(const torch::Tensor& local) { return local; }
};

struct StepEnv {
  ResNet net;
  Optimizer* optimizer;
  torch::Device device;
  std::optional<at::ScalarType> amp;
  GradScaler* scaler;  // fp16 loss scaling; null otherwise
  bool skipNonFinite;
  double labelSmoothing;
  StepHooks* hooks;  // never null
};

// One step's place in the run, reported with its loss.
struct StepRecord {
  int64_t done;  // iterations completed with this step
  int64_t epoch;
  double lr;
};

// Receives each step's loss once it is known on the host. `note` says where a
// deferred loss was read (for the error message of a non-finite one).
using LossReport = std::function<void(const StepRecord&, double loss, const std::string& note)>;

class StepStrategy {
 public:
  virtual ~StepStrategy() = default;
  virtual void run(const torch::Tensor& x, const torch::Tensor& y, const StepRecord& record) = 0;
  // Reports every loss not yet read back (one host sync).
  virtual void flush() {}
};

// The strategies' switches for the test addon (binding/testing/): run the
// CUDA paths on CPU — deferred sync, and fp16's loss scaling in fp32 math
// (gradScalerInit > 0). Nothing in the product sets them.
struct StepOverrides {
  bool deferredSync = false;
  double gradScalerInit = 0;
};
void setStepOverrides(const StepOverrides& overrides);
StepOverrides stepOverrides();

// Deferred sync: CUDA, SGD with dampening 0 (exactly undoable by MaskedStep;
// AdamW keeps its step count on the host).
bool usesDeferredSync(const torch::Device& device, const OptimizerOptions& optimizer);

std::unique_ptr<StepStrategy> makeStepStrategy(const StepEnv& env, bool deferredSync, LossReport report);

}  // namespace senet
