// Evaluation: eval mode, no grad, the data in order, classification metrics.
#pragma once

#include <functional>
#include <memory>

#include "data/data_source.h"
#include "model/model.h"
#include "train/metrics.h"

namespace senet {

// This process's part of an evaluation spread over several (data-parallel
// runs): the samples rank, rank + worldSize, ... — each sample evaluated once
// over all processes — and how to sum the totals over processes.
struct EvalShard {
  int64_t rank = 0;
  int64_t worldSize = 1;
  std::function<void(MetricAccumulator&)> combine;
};

// Batches of `batchSize` in dataset order; `settings`: autocast dtype and
// channels_last for the batches (CUDA speed settings).
EvalResult evaluate(Model& model, std::shared_ptr<const DataSource> data, int64_t batchSize, int64_t workers = 0,
                    const InferenceSettings& settings = {}, const EvalShard& shard = {});

}  // namespace senet
