// The data-parallel side of a training run, on native/dist: connecting to the
// other processes, identical initial weights (and resumed state) from rank 0,
// DDP's per-step work (buffers from rank 0, gradients averaged in buckets
// during backward, optionally synchronized BatchNorm), losses, stop requests
// and evaluation metrics agreed over all processes.
//
// Every process makes the same collective calls in the same order, so every
// decision that ends or skips work (a non-finite loss, a stop request) is
// taken together: each is reduced over processes first.
#pragma once

#include <memory>
#include <optional>

#include "dist/grad_sync.h"
#include "dist/process_group.h"
#include "model/batch_norm.h"
#include "model/model.h"
#include "train/grad_scaler.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/run_state.h"
#include "train/step.h"
#include "train/train_options.h"

namespace senet {

class DataParallel : public StepHooks {
 public:
  // Connects (rendezvous within options.timeout) and checks that every
  // process trains the same model.
  DataParallel(const DistributedOptions& options, Model& model);
  ~DataParallel() override;

  int rank() const { return comm_->rank(); }
  int worldSize() const { return comm_->worldSize(); }
  // Only rank 0 writes metrics, checkpoints and weights.
  bool writes() const { return rank() == 0; }

  // Rank 0's weights and buffers, optimizer and grad-scaler state and run
  // progress on every process (after rank 0 alone resumed, or at the start).
  void shareState(Model& model, Optimizer& optimizer, GradScaler* scaler, RunProgress& progress);

  // StepHooks: one step's collectives.
  void beforeForward() override;
  void beforeBackward() override;
  void afterBackward() override;
  double reduceLoss(double local) override;
  torch::Tensor reduceLoss(const torch::Tensor& local) override;

  // true when any process asks to stop (every process then stops at this step boundary).
  bool anyStop(bool local);
  // Before each process evaluates its shard: rank 0's BN statistics everywhere (as DDP).
  void beforeEvaluation();
  // The evaluation's totals summed over processes (each evaluated its own shard).
  void combineMetrics(MetricAccumulator& metrics, const torch::Device& device);
  // Seconds this process spent in the step's collectives outside backward: the
  // gradient all-reduce not hidden behind backward, buffer broadcasts, loss and
  // stop agreement — including waiting for slower processes.
  double communicationSeconds() const { return communicationSeconds_; }

 private:
  DistributedOptions options_;
  std::shared_ptr<Communicator> comm_;
  torch::nn::Module& net_;
  std::unique_ptr<GradSync> grads_;
  std::optional<BatchNormOverride> syncNorm_;
  double communicationSeconds_ = 0;
};

}  // namespace senet
