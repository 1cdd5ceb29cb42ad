// Evaluation: eval mode, no grad, the data in order, classification metrics.
#pragma once

#include <memory>

#include "data/data_source.h"
#include "model/model.h"
#include "train/metrics.h"

namespace senet {

// Batches of `batchSize` in dataset order; `settings`: autocast dtype and
// channels_last for the batches (CUDA speed settings).
EvalResult evaluate(Model& model, std::shared_ptr<const DataSource> data, int64_t batchSize, int64_t workers = 0,
                    const InferenceSettings& settings = {});

}  // namespace senet
