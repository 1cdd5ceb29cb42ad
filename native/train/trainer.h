// The training loop: runs on its own thread, reports plain events through a
// callback, honours a stop flag at step boundaries, checkpoints atomically and
// resumes bit-exactly.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "data/data_source.h"
#include "train/metrics.h"
#include "model/model.h"
#include "train/train_options.h"

namespace senet {

struct TrainEvent {
  std::string type;  // step | eval | checkpoint | skip | end
  int64_t iteration = 0;  // completed iterations
  int64_t epoch = 0;
  double loss = 0;
  double lr = 0;
  double imagesPerSecond = 0;
  EvalResult eval;
  std::string path;
};

struct TrainResult {
  bool hasEval = false;
  EvalResult finalEval;
  EvalResult bestEval;
  int64_t bestIteration = 0;
  int64_t iterations = 0;     // completed, including resumed ones
  int64_t startIteration = 0; // where this call started (resume)
  double wallSeconds = 0;
  double imagesPerSecond = 0;
  bool stopped = false;
  int64_t skippedBatches = 0;
  std::string checkpointPath;
  std::string weightsPath;
  std::string metricsPath;
};

using EventSink = std::function<void(const TrainEvent&)>;

// Test-only: runs the CUDA step's code paths on any device (trainer.cpp).
void setTestSwitches(bool deferredSync, double gradScalerInit);

// Validates options that need no data (ranges, schedule); throws std::invalid_argument naming the field.
void validateTrainOptions(const TrainOptions& options);

// `testSet` may be null (no evaluation).
TrainResult train(Model& model, std::shared_ptr<const DataSource> trainSet, std::shared_ptr<const DataSource> testSet,
                  const TrainOptions& options, const EventSink& emit, const std::atomic<bool>& stop);

// Eval mode, no grad, batches of `batchSize` in dataset order.
// `settings`: autocast dtype and channels_last for the batches (CUDA speed settings).
EvalResult evaluate(Model& model, std::shared_ptr<const DataSource> data, int64_t batchSize, int64_t workers = 0,
                    const InferenceSettings& settings = {});

}  // namespace senet
