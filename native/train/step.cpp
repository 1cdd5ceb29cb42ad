#include "train/step.h"

#include <cmath>
#include <mutex>

#include "runtime/device_settings.h"
#include "train/masked_step.h"

namespace senet {

namespace {

std::mutex overridesMutex;
StepOverrides overrides;

torch::Tensor forwardLoss(StepEnv& env, const torch::Tensor& x, const torch::Tensor& y) {
  AutocastGuard autocast(env.device.type(), env.amp);
  const auto options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(env.labelSmoothing);
  return torch::nn::functional::cross_entropy(env.net->forward(x), y, options);
}

std::vector<torch::Tensor> definedGradients(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

std::vector<torch::Tensor> snapshotBuffers(const torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const auto& b : module.buffers()) out.push_back(b.clone());
  return out;
}

// Puts BN's running buffers back (a skipped batch must not leave its
// statistics behind): where `condition` (bool 0-dim) holds, or always.
void restoreBuffers(torch::nn::Module& module, const std::vector<torch::Tensor>& saved,
                    const torch::Tensor& condition = {}) {
  torch::NoGradGuard noGrad;
  auto buffers = module.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) {
    buffers[i].copy_(condition.defined() ? torch::where(condition, saved[i], buffers[i]) : saved[i]);
  }
}

torch::Tensor flag(const torch::Device& device, float value) {
  return torch::full({}, value, torch::TensorOptions().dtype(torch::kFloat32).device(device));
}

// Reads the loss each step; a non-finite loss is caught before any update.
class PerStepSync : public StepStrategy {
 public:
  PerStepSync(StepEnv env, LossReport report) : env_(std::move(env)), report_(std::move(report)) {}

  void run(const torch::Tensor& x, const torch::Tensor& y, const StepRecord& record) override {
    env_.hooks->beforeForward();
    env_.optimizer->zeroGrad();
    const auto buffers = env_.skipNonFinite ? snapshotBuffers(*env_.net) : std::vector<torch::Tensor>{};
    torch::Tensor loss = forwardLoss(env_, x, y);
    const double value = env_.hooks->reduceLoss(loss.item<double>());
    if (std::isfinite(value)) {
      update(loss, record.lr);
    } else if (env_.skipNonFinite) {
      restoreBuffers(*env_.net, buffers);
      if (env_.scaler) env_.scaler->update(flag(env_.device, 1));
    }
    report_(record, value, "");
  }

 private:
  void update(const torch::Tensor& loss, double lr) {
    env_.hooks->beforeBackward();
    if (!env_.scaler) {
      loss.backward();
      env_.hooks->afterBackward();
      env_.optimizer->step(lr);
      return;
    }
    env_.scaler->scale(loss).backward();
    env_.hooks->afterBackward();
    const auto foundInf = env_.scaler->unscale(definedGradients(env_.net->parameters()));
    // As GradScaler.step with a non-fused optimizer: skip the update on inf/NaN gradients.
    if (foundInf.item<float>() == 0) env_.optimizer->step(lr);
    env_.scaler->update(foundInf);
  }

  StepEnv env_;
  LossReport report_;
};

// No host sync inside a step: losses are kept on the device and reported by
// flush(), which the loop calls at log, eval and checkpoint points.
class Deferred : public StepStrategy {
 public:
  Deferred(StepEnv env, LossReport report) : env_(std::move(env)), report_(std::move(report)) {}

  void run(const torch::Tensor& x, const torch::Tensor& y, const StepRecord& record) override {
    env_.hooks->beforeForward();
    env_.optimizer->zeroGrad();
    // A skipped batch must not leave its statistics behind: BN buffers as before the forward pass.
    const auto buffers = masked() && env_.skipNonFinite ? snapshotBuffers(*env_.net) : std::vector<torch::Tensor>{};
    torch::Tensor loss = forwardLoss(env_, x, y);
    pending_.push_back({record, loss.detach().reshape({})});
    update(loss, record.lr, buffers);
  }

  void flush() override {
    if (pending_.empty()) return;
    std::vector<torch::Tensor> losses;
    for (const auto& p : pending_) losses.push_back(p.loss);
    const auto values = env_.hooks->reduceLoss(torch::stack(losses)).to(torch::kCPU).to(torch::kFloat64);
    const auto* v = values.data_ptr<double>();
    const std::string note = " (read back at iteration " + std::to_string(pending_.back().record.done) +
                             ": on CUDA losses are checked at log, eval and checkpoint points" +
                             (masked() ? "; that step's update was not applied)"
                                       : "; the weights in memory include the updates since, use the checkpoint)");
    auto steps = std::move(pending_);
    pending_.clear();
    for (size_t i = 0; i < steps.size(); ++i) report_(steps[i].record, v[i], note);
  }

 protected:
  // A non-finite loss stops the run at the next read-back; until then its update is applied.
  virtual void update(const torch::Tensor& loss, double lr, const std::vector<torch::Tensor>& /*buffers*/) {
    env_.hooks->beforeBackward();
    loss.backward();
    env_.hooks->afterBackward();
    env_.optimizer->step(lr);
  }
  virtual bool masked() const { return false; }

  struct Pending {
    StepRecord record;
    torch::Tensor loss;
  };
  StepEnv env_;
  LossReport report_;
  std::vector<Pending> pending_;
};

// Deferred, and a step whose loss (or, with fp16, a gradient) is not finite
// is undone on the device: parameters, optimizer state and BN buffers.
class MaskedDeferred : public Deferred {
 public:
  using Deferred::Deferred;

 protected:
  void update(const torch::Tensor& loss, double lr, const std::vector<torch::Tensor>& buffers) override {
    const auto bad = env_.hooks->reduceLoss(loss.detach().reshape({})).isfinite().logical_not();
    env_.hooks->beforeBackward();
    (env_.scaler ? env_.scaler->scale(loss) : loss).backward();
    env_.hooks->afterBackward();
    auto skip = bad;
    torch::Tensor foundInf;
    const auto parameters = env_.net->parameters();
    if (env_.scaler) {
      foundInf = env_.scaler->unscale(definedGradients(parameters));
      skip = skip.logical_or(foundInf.gt(0));
    }
    masked_.snapshot(parameters, env_.optimizer->stateTensors());
    env_.optimizer->step(lr);
    masked_.commit(skip, parameters, env_.optimizer->stateTensors());
    if (env_.skipNonFinite) restoreBuffers(*env_.net, buffers, bad);
    if (env_.scaler) env_.scaler->update(foundInf);
  }
  bool masked() const override { return true; }

 private:
  MaskedStep masked_;
};

}  // namespace

void setStepOverrides(const StepOverrides& value) {
  std::lock_guard<std::mutex> lock(overridesMutex);
  overrides = value;
}

StepOverrides stepOverrides() {
  std::lock_guard<std::mutex> lock(overridesMutex);
  return overrides;
}

bool usesDeferredSync(const torch::Device& device, const OptimizerOptions& optimizer) {
  return (device.is_cuda() || stepOverrides().deferredSync) && optimizer.type == "sgd" && optimizer.dampening == 0;
}

std::unique_ptr<StepStrategy> makeStepStrategy(const StepEnv& env, bool deferredSync, LossReport report) {
  if (!deferredSync) return std::make_unique<PerStepSync>(env, std::move(report));
  if (env.scaler || env.skipNonFinite) return std::make_unique<MaskedDeferred>(env, std::move(report));
  return std::make_unique<Deferred>(env, std::move(report));
}

}  // namespace senet
