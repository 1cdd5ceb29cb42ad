// A run's state across checkpoints: where it was (iteration, skipped batches,
// best evaluation) and saving / restoring it together with the weights, the
// optimizer state and the fp16 grad scaler.
#pragma once

#include <string>

#include "data/loader.h"
#include "model/model.h"
#include "train/grad_scaler.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/train_options.h"

namespace senet {

struct RunProgress {
  int64_t iteration = 0;  // completed iterations
  int64_t skippedBatches = 0;
  bool hasBest = false;   // an evaluation happened
  EvalResult best;        // metrics of the best top-1 so far
  int64_t bestIteration = 0;
  std::string checkpoint;  // the checkpoint directory a resumed run started from ("" otherwise)
};

// What a checkpoint needs besides its iteration.
struct RunParts {
  Model& model;
  Optimizer& optimizer;
  GradScaler* scaler;  // null without fp16
};

// Writes <outDir>/checkpoints/iter-N (see train/checkpoint.h) and returns its directory.
std::string saveRunCheckpoint(const TrainOptions& options, const RunParts& parts, const RunProgress& progress,
                              const BatchOrder& order);

// Loads the latest checkpoint of options.resume into the parts and returns
// the progress it recorded. Refuses a checkpoint written with settings that
// change the data order or the optimizer state, naming the setting.
RunProgress resumeRun(const TrainOptions& options, const RunParts& parts);

}  // namespace senet
