// The training loop: runs on the compute thread, reports plain events through
// a callback, honours a stop flag at step boundaries, checkpoints atomically
// and resumes bit-exactly.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "data/data_source.h"
#include "model/model.h"
#include "train/metrics.h"
#include "train/run_log.h"
#include "train/train_options.h"

namespace senet {

struct TrainResult {
  bool hasEval = false;
  EvalResult finalEval;
  EvalResult bestEval;
  int64_t bestIteration = 0;
  int64_t iterations = 0;     // completed, including resumed ones
  int64_t startIteration = 0; // where this call started (resume)
  double wallSeconds = 0;
  double imagesPerSecond = 0;
  double communicationSeconds = 0;  // data-parallel runs: see DataParallel::communicationSeconds
  bool stopped = false;
  int64_t skippedBatches = 0;
  std::string checkpointPath;
  std::string weightsPath;
  std::string metricsPath;
};

// The wire form (lib/native.ts NativeTrainResult): finalEval with its confusion matrix, bestEval's metrics,
// null for an evaluation that did not happen and for a path that was not written.
void to_json(WireJson& j, const TrainResult& r);

// `testSet` may be null (no evaluation).
TrainResult train(Model& model, std::shared_ptr<const DataSource> trainSet, std::shared_ptr<const DataSource> testSet,
                  const TrainOptions& options, const EventSink& emit, const std::atomic<bool>& stop);

}  // namespace senet
