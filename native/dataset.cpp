#include "dataset.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

namespace senet {

torch::Tensor Dataset::imagesAt(const torch::Tensor& indices) const {
  torch::Tensor x = images.index_select(0, indices);
  x = x.scalar_type() == torch::kUInt8 ? x.to(torch::kFloat32).div_(255.0) : x.to(torch::kFloat32);
  if (!mean.empty()) {
    const auto c = static_cast<int64_t>(mean.size());
    auto m = torch::tensor(mean, torch::kFloat64).to(torch::kFloat32).view({1, c, 1, 1});
    auto s = torch::tensor(std, torch::kFloat64).to(torch::kFloat32).view({1, c, 1, 1});
    x = x.sub_(m).div_(s);
  }
  return x;
}

void validateDataset(const Dataset& d, int64_t inChannels, int64_t numClasses, const std::string& field) {
  if (d.images.dim() != 4) throw std::invalid_argument(field + ".shape must be [N, C, H, W]");
  if (d.images.size(1) != inChannels) {
    throw std::invalid_argument(field + " has " + std::to_string(d.images.size(1)) +
                                " channels but the model expects " + std::to_string(inChannels));
  }
  if (d.labels.dim() != 1 || d.labels.size(0) != d.images.size(0)) {
    throw std::invalid_argument(field + ".labels must have one label per image");
  }
  if (d.size() == 0) throw std::invalid_argument(field + " is empty");
  const int64_t low = d.labels.min().item<int64_t>();
  const int64_t high = d.labels.max().item<int64_t>();
  if (low < 0 || high >= numClasses) {
    throw std::invalid_argument(field + ".labels has label " + std::to_string(low < 0 ? low : high) +
                                ", outside [0, " + std::to_string(numClasses - 1) + "] for numClasses " +
                                std::to_string(numClasses));
  }
  if (!d.mean.empty() && (static_cast<int64_t>(d.mean.size()) != inChannels || d.std.size() != d.mean.size())) {
    throw std::invalid_argument(field + ".normalize needs one mean and one std per channel");
  }
}

BatchOrder::BatchOrder(int64_t size, int64_t batchSize, bool shuffle, bool dropLast, uint64_t seed)
    : size_(size), batchSize_(batchSize), shuffle_(shuffle), seed_(seed) {
  stepsPerEpoch_ = dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
  if (stepsPerEpoch_ < 1) {
    throw std::invalid_argument("batchSize " + std::to_string(batchSize) + " is larger than the training set (" +
                                std::to_string(size) + " samples) with dropLast");
  }
}

torch::Tensor BatchOrder::batch(int64_t iteration) {
  const int64_t epoch = epochOf(iteration);
  if (epoch != cachedEpoch_) {
    if (shuffle_) {
      // splitmix-style mixing keeps neighbouring (seed, epoch) pairs unrelated.
      uint64_t mixed = seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 0x632BE59BD9B4E019ull;
      mixed = (mixed ^ (mixed >> 31)) * 0xBF58476D1CE4E5B9ull;
      auto generator = at::detail::createCPUGenerator(mixed ^ (mixed >> 27));
      permutation_ = torch::randperm(size_, generator, torch::kInt64);
    } else {
      permutation_ = torch::arange(size_, torch::kInt64);
    }
    cachedEpoch_ = epoch;
  }
  const int64_t start = (iteration % stepsPerEpoch_) * batchSize_;
  return permutation_.slice(0, start, std::min(start + batchSize_, size_));
}

}  // namespace senet
