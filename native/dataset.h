// In-memory image classification data and the deterministic batch order.
// The data-pipeline issue adds file formats behind the same Dataset type.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace senet {

struct Dataset {
  torch::Tensor images;       // N x C x H x W, uint8 (0..255) or float32
  torch::Tensor labels;       // N, int64
  std::vector<double> mean;   // per channel, applied after uint8 /255; empty: none
  std::vector<double> std;

  int64_t size() const { return labels.size(0); }
  // Float32 batch, normalized, for the given sample indices (int64 tensor).
  torch::Tensor imagesAt(const torch::Tensor& indices) const;
  torch::Tensor labelsAt(const torch::Tensor& indices) const { return labels.index_select(0, indices); }
};

// Throws std::invalid_argument naming `field` when shapes, channel count or labels are wrong.
void validateDataset(const Dataset& data, int64_t inChannels, int64_t numClasses, const std::string& field);

// Order of samples: epoch e uses a permutation that depends only on
// (seed, e), so a resumed run sees exactly the batches of an uninterrupted one.
class BatchOrder {
 public:
  BatchOrder(int64_t datasetSize, int64_t batchSize, bool shuffle, bool dropLast, uint64_t seed);
  int64_t stepsPerEpoch() const { return stepsPerEpoch_; }
  // Indices of the batch used at `iteration` (0-based).
  torch::Tensor batch(int64_t iteration);
  int64_t epochOf(int64_t iteration) const { return iteration / stepsPerEpoch_; }

 private:
  int64_t size_, batchSize_, stepsPerEpoch_;
  bool shuffle_;
  uint64_t seed_;
  int64_t cachedEpoch_ = -1;
  torch::Tensor permutation_;
};

}  // namespace senet
