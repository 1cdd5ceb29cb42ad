#include "train/data_parallel.h"

#include <chrono>

#include "dist/module_sync.h"
#include "dist/reduce.h"
#include "dist/sync_batchnorm.h"

namespace senet {

namespace {

// Adds the seconds from construction to destruction to `total`.
class Timed {
 public:
  explicit Timed(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Timed() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

std::shared_ptr<Communicator> connectChecked(const DistributedOptions& options) {
  validateDistOptions(options);
  return Communicator::connect(options);
}

}  // namespace

DataParallel::DataParallel(const DistributedOptions& options, Model& model)
    : options_(options), comm_(connectChecked(options)), net_(*model.net()) {
  grads_ = std::make_unique<GradSync>(net_.parameters(), comm_);
  if (options_.syncBatchNorm) {
    auto comm = comm_;  // the override outlives no step, but keep the communicator alive with it
    syncNorm_.emplace([comm](torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) { return syncBatchNorm(x, bn, *comm); });
  }
}

DataParallel::~DataParallel() {
  if (grads_ && grads_->armed()) grads_->abandon();
}

void DataParallel::shareState(Model& model, Optimizer& optimizer, GradScaler* scaler, RunProgress& progress) {
  auto lock = model.lockExclusive();
  broadcastFromRoot(*model.net(), *comm_);
  NamedTensors state;
  if (rank() == 0) {
    state = optimizer.stateTensors();
    if (scaler) {
      for (auto& entry : scaler->stateTensors()) state.push_back(std::move(entry));
    }
  }
  const NamedTensors shared = broadcastNamedTensors(*comm_, state, 0, "broadcast of the optimizer state");
  if (rank() != 0) {
    optimizer.loadStateTensors(shared, "rank 0's optimizer state");
    if (scaler) scaler->loadStateTensors(shared, "rank 0's grad scaler state");
  }
  // Integers below 2^53 travel exactly as doubles.
  auto p = torch::tensor({static_cast<double>(progress.iteration), static_cast<double>(progress.skippedBatches),
                          progress.hasBest ? 1.0 : 0.0, static_cast<double>(progress.bestIteration), progress.best.top1,
                          progress.best.top5, progress.best.loss},
                         torch::kFloat64);
  comm_->broadcast({p}, 0, "broadcast of the run's progress");
  const auto* v = p.data_ptr<double>();
  progress.iteration = static_cast<int64_t>(v[0]);
  progress.skippedBatches = static_cast<int64_t>(v[1]);
  progress.hasBest = v[2] != 0;
  progress.bestIteration = static_cast<int64_t>(v[3]);
  progress.best.top1 = v[4];
  progress.best.top5 = v[5];
  progress.best.loss = v[6];
}

void DataParallel::beforeForward() {
  // With synchronized BatchNorm every process computes the same running statistics already.
  Timed timed(communicationSeconds_);
  if (options_.broadcastBuffers && !options_.syncBatchNorm) broadcastBuffers(net_, *comm_);
}

void DataParallel::beforeBackward() { grads_->prepare(); }

void DataParallel::afterBackward() {
  Timed timed(communicationSeconds_);
  grads_->finish();
}

double DataParallel::reduceLoss(double local) {
  return reduceLoss(torch::full({1}, local, torch::kFloat64)).item<double>();
}

torch::Tensor DataParallel::reduceLoss(const torch::Tensor& local) {
  Timed timed(communicationSeconds_);
  auto t = local.detach().to(comm_->device(), torch::kFloat64).clone();
  comm_->allReduce({t}, "all-reduce of the loss");
  return t.div_(worldSize()).to(local.device(), local.scalar_type());
}

bool DataParallel::anyStop(bool local) {
  Timed timed(communicationSeconds_);
  auto t = torch::full({1}, local ? 1 : 0, torch::kInt64);
  comm_->allReduce({t}, "agreement on stopping", ReduceKind::Max);
  return t.item<int64_t>() != 0;
}

void DataParallel::beforeEvaluation() {
  broadcastBuffers(net_, *comm_);  // as DDP: every process evaluates with rank 0's BN statistics
}

void DataParallel::combineMetrics(MetricAccumulator& metrics, const torch::Device& device) {
  metrics.combine([this](std::vector<torch::Tensor>& totals) { allReduceSum(*comm_, totals, "sum of evaluation metrics"); },
                  device);
}

}  // namespace senet
