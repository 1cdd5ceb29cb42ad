// Plain option structs for training, the native half of lib/options/train.ts.
// The binding copies the validated JS object into them through the JSON field
// lists below (one line per struct), so a new option is a member here, its
// name in the list, and the code that uses it. Field meanings follow
// torch.optim and torch.optim.lr_scheduler.
//
// The TS layer validates every option with a message for users. Native code
// checks only what memory safety and termination need (checkTrainInvariants:
// divisions, sizes, indices) — in that one place.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dist/process_group.h"
#include "io/json_fields.h"
#include "runtime/device_settings.h"

namespace senet {

struct OptimizerOptions {
  std::string type = "sgd";  // sgd | adamw
  double lr = 0.01;
  // SGD (torch.optim.SGD)
  double momentum = 0.9;
  double dampening = 0.0;
  bool nesterov = false;
  // AdamW (torch.optim.AdamW)
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  // Coupled L2 for SGD, decoupled for AdamW.
  double weightDecay = 1e-4;
  // false: BN weights/biases and all biases get no weight decay.
  bool decayNormAndBias = true;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OptimizerOptions, type, lr, momentum, dampening, nesterov, betas, eps,
                                                weightDecay, decayNormAndBias)

struct ScheduleOptions {
  std::string type = "constant";  // constant | step | multistep | cosine
  int64_t stepSize = 1;           // step: lr *= gamma every stepSize iterations (StepLR)
  std::vector<int64_t> milestones;  // multistep (MultiStepLR)
  double gamma = 0.1;
  double finalLr = 0.0;           // cosine: eta_min (CosineAnnealingLR to the last iteration)
  int64_t warmupIterations = 0;   // linear warmup in front (LinearLR + SequentialLR)
  double warmupStartFactor = 0.1;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ScheduleOptions, type, stepSize, milestones, gamma, finalLr,
                                                warmupIterations, warmupStartFactor)

// This process's slice of the data (DistributedSampler's padding and striding).
struct ShardOptions {
  int64_t rank = 0;
  int64_t worldSize = 1;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShardOptions, rank, worldSize)

// Data-parallel training (native/dist, DistributedDataParallel's semantics):
// where to meet the other processes, and DDP's choices about BatchNorm.
struct DistributedOptions : DistOptions {
  bool syncBatchNorm = false;    // batch statistics over the global batch (torch.nn.SyncBatchNorm)
  bool broadcastBuffers = true;  // rank 0's BN buffers to every rank before each forward (DDP's default)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DistributedOptions, masterAddr, masterPort, rank, worldSize, localRank,
                                                timeout, backend, interface, syncBatchNorm, broadcastBuffers)

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
  std::string outDir;             // run directory (metrics, checkpoints, final weights); "" writes nothing
  std::string resume;             // continue from this run directory's latest checkpoint; "" starts fresh
  uint64_t seed = 0;              // data order
  bool shuffle = true;
  bool dropLast = true;
  bool skipNonFinite = false;     // skip batches whose loss is NaN/inf instead of failing
  int64_t workers = 0;            // loader threads (0: batches built on the training thread)
  int64_t prefetch = 2;           // batches ready ahead per worker
  ShardOptions shard;
  // CUDA speed settings (native/runtime/device_settings.h): autocast around
  // forward + loss (fp16 adds dynamic loss scaling), CUDA only.
  AmpName amp;
  std::optional<bool> channelsLast;  // unset: true on CUDA, false elsewhere
  bool cudnnBenchmark = true;        // CUDA only; restored after the run
  // Unset: this process trains alone. Set: one of `worldSize` processes; the
  // batch size is per process and the data is sharded by rank.
  std::optional<DistributedOptions> distributed;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainOptions, iterations, batchSize, optimizer, schedule, labelSmoothing,
                                                logEvery, evalEvery, evalBatchSize, checkpointEvery, keepCheckpoints,
                                                outDir, resume, seed, shuffle, dropLast, skipNonFinite, workers,
                                                prefetch, shard, amp, channelsLast, cudnnBenchmark, distributed)

// Throws std::invalid_argument when an option would make native code divide
// by zero, index out of range or never end (see the file comment).
void checkTrainInvariants(const TrainOptions& options);

}  // namespace senet
