#include "step_fixture.h"

#include <limits>

namespace senet::coretest {

namespace {

std::unique_ptr<Model> tinyModel() {
  ModelOptions o;
  o.stem = "cifar";
  o.inChannels = 1;
  o.numClasses = 4;
  o.seed = 11;
  auto model = std::make_unique<Model>(o);
  model->net()->train();
  return model;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> out;
  for (const auto& t : tensors) out.push_back(t.detach().clone());
  return out;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> batch(int k) {
  torch::manual_seed(100 + k);
  auto x = torch::randn({4, 1, 8, 8});
  auto y = torch::randint(0, 4, {4}, torch::kLong);
  return {x, y};
}

std::pair<torch::Tensor, torch::Tensor> nanBatch(int k) {
  auto [x, y] = batch(k);
  return {torch::full_like(x, std::numeric_limits<float>::quiet_NaN()), y};
}

OptimizerOptions sgdOptions() {
  OptimizerOptions o;
  o.type = "sgd";
  o.momentum = 0.9;
  o.weightDecay = 1e-4;
  return o;
}

double RecordingHooks::reduceLoss(double local) {
  calls.push_back("reduceLoss");
  return poison ? std::numeric_limits<double>::quiet_NaN() : local;
}

torch::Tensor RecordingHooks::reduceLoss(const torch::Tensor& local) {
  calls.push_back("reduceLoss(tensor)");
  return poison ? torch::full_like(local, std::numeric_limits<float>::quiet_NaN()) : local;
}

StrategyRun::StrategyRun(const StrategySetup& setup) : model_(tinyModel()) {
  optimizer_ = std::make_unique<Optimizer>(optimizedParameters(*model_->net(), setup.optimizer), setup.optimizer);
  if (setup.scalerInit > 0) {
    scaler_ = std::make_unique<GradScaler>(torch::kCPU, setup.scalerInit, 2.0, 0.5, setup.scalerGrowthInterval);
  }
  const StepEnv env{model_->net(), optimizer_.get(), torch::kCPU, std::nullopt, scaler_.get(),
                    setup.skipNonFinite, setup.labelSmoothing, &hooks};
  strategy_ = makeStepStrategy(env, setup.deferredSync, [this](const StepRecord& r, double loss, const std::string& note) {
    reports.push_back({r, loss, note});
  });
}

void StrategyRun::step(const std::pair<torch::Tensor, torch::Tensor>& xy, int64_t done, double lr) {
  strategy_->run(xy.first, xy.second, StepRecord{done, 0, lr});
}

std::vector<torch::Tensor> StrategyRun::parameters() const { return copies(model_->net()->parameters()); }
std::vector<torch::Tensor> StrategyRun::buffers() const { return copies(model_->net()->buffers()); }

std::vector<torch::Tensor> StrategyRun::optimizerState() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, t] : optimizer_->stateTensors()) out.push_back(t.detach().clone());
  return out;
}

ReferenceRun::ReferenceRun(const OptimizerOptions& o, double labelSmoothing)
    : model_(tinyModel()), labelSmoothing_(labelSmoothing) {
  const auto parameters = model_->net()->parameters();
  if (o.type == "sgd") {
    optimizer_ = std::make_unique<torch::optim::SGD>(
        parameters, torch::optim::SGDOptions(o.lr).momentum(o.momentum).dampening(o.dampening).weight_decay(o.weightDecay).nesterov(o.nesterov));
  } else {
    optimizer_ = std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(o.lr).betas(std::make_tuple(o.betas[0], o.betas[1])).eps(o.eps).weight_decay(o.weightDecay));
  }
}

double ReferenceRun::step(const std::pair<torch::Tensor, torch::Tensor>& xy, double lr) {
  optimizer_->zero_grad();
  const auto options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_);
  auto loss = torch::nn::functional::cross_entropy(model_->net()->forward(xy.first), xy.second, options);
  loss.backward();
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
  optimizer_->step();
  return loss.item<double>();
}

std::vector<torch::Tensor> ReferenceRun::parameters() const { return copies(model_->net()->parameters()); }
std::vector<torch::Tensor> ReferenceRun::buffers() const { return copies(model_->net()->buffers()); }

}  // namespace senet::coretest
