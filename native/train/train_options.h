// Plain option structs for training; the binding fills them from validated
// JS options. Field meanings follow torch.optim and torch.optim.lr_scheduler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace senet {

struct OptimizerOptions {
  std::string type = "sgd";  // sgd | adamw
  double lr = 0.01;
  // SGD (torch.optim.SGD)
  double momentum = 0.9;
  double dampening = 0.0;
  bool nesterov = false;
  // AdamW (torch.optim.AdamW)
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  // Coupled L2 for SGD, decoupled for AdamW.
  double weightDecay = 1e-4;
  // false: BN weights/biases and all biases get no weight decay.
  bool decayNormAndBias = true;
};

struct ScheduleOptions {
  std::string type = "constant";  // constant | step | multistep | cosine
  int64_t stepSize = 1;           // step: lr *= gamma every stepSize iterations (StepLR)
  std::vector<int64_t> milestones;  // multistep (MultiStepLR)
  double gamma = 0.1;
  double finalLr = 0.0;           // cosine: eta_min (CosineAnnealingLR to the last iteration)
  int64_t warmupIterations = 0;   // linear warmup in front (LinearLR + SequentialLR)
  double warmupStartFactor = 0.1;
};

struct TrainOptions {
  int64_t iterations = 1000;
  int64_t batchSize = 8;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  double labelSmoothing = 0.0;
  int64_t logEvery = 50;
  int64_t evalEvery = 0;          // 0: only at the end
  int64_t evalBatchSize = 256;
  int64_t checkpointEvery = 0;    // 0: only at the end / on abort
  int64_t keepCheckpoints = 2;
  std::string outDir;             // run directory (metrics, checkpoints, final weights)
  bool resume = false;            // continue from outDir's latest checkpoint
  uint64_t seed = 0;              // data order
  bool shuffle = true;
  bool dropLast = true;
  bool skipNonFinite = false;     // skip batches whose loss is NaN/inf instead of failing
  int64_t workers = 0;            // loader threads (0: batches built on the training thread)
  int64_t prefetch = 2;           // batches ready ahead per worker
  int64_t rank = 0;               // shard(rank, worldSize)
  int64_t worldSize = 1;
  // CUDA speed settings (see native/runtime/device_settings.h). amp: "" (off), "bf16" or "fp16"
  // (autocast around forward + loss; fp16 adds dynamic loss scaling); CUDA only.
  std::string amp;
  std::optional<bool> channelsLast;  // unset: true on CUDA, false elsewhere
  bool cudnnBenchmark = true;        // CUDA only; restored after the run
};

}  // namespace senet
