#include "train/train_options.h"

#include <stdexcept>

namespace senet {

namespace {

void atLeast(int64_t value, int64_t min, const char* field) {
  if (value < min) {
    throw std::invalid_argument(std::string(field) + " must be >= " + std::to_string(min) + ", got " + std::to_string(value));
  }
}

void oneOf(const std::string& value, std::initializer_list<const char*> valid, const char* field) {
  for (const char* v : valid) {
    if (value == v) return;
  }
  std::string list;
  for (const char* v : valid) list += std::string(list.empty() ? "" : ", ") + v;
  throw std::invalid_argument(std::string(field) + ": unknown '" + value + "'; valid: " + list);
}

}  // namespace

// Only what native code relies on: positive sizes and periods (divisions and
// loop bounds), indices in range, names that select code paths. The rules
// users see (ranges, cross-field checks) live in lib/options/train.ts.
void checkTrainInvariants(const TrainOptions& o) {
  atLeast(o.iterations, 1, "iterations");
  atLeast(o.batchSize, 1, "batchSize");
  atLeast(o.logEvery, 1, "logEvery");
  atLeast(o.evalEvery, 0, "evalEvery");
  atLeast(o.evalBatchSize, 1, "evalBatchSize");
  atLeast(o.checkpointEvery, 0, "checkpointEvery");
  atLeast(o.keepCheckpoints, 1, "keepCheckpoints");
  atLeast(o.workers, 0, "workers");
  atLeast(o.prefetch, 1, "prefetch");
  atLeast(o.shard.worldSize, 1, "shard.worldSize");
  if (o.shard.rank < 0 || o.shard.rank >= o.shard.worldSize) throw std::invalid_argument("shard.rank must be in [0, worldSize)");
  oneOf(o.optimizer.type, {"sgd", "adamw"}, "optimizer.type");
  oneOf(o.schedule.type, {"constant", "step", "multistep", "cosine"}, "schedule.type");
  atLeast(o.schedule.stepSize, 1, "schedule.stepSize");
  if (o.schedule.warmupIterations < 0 || o.schedule.warmupIterations > o.iterations) {
    throw std::invalid_argument("schedule.warmupIterations must be in [0, iterations]");
  }
  oneOf(o.amp, {"", "bf16", "fp16"}, "amp");
}

}  // namespace senet
