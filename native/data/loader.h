// Batches for training and evaluation. The order of samples is a pure
// function of (seed, epoch, rank, worldSize); the content of a batch a pure
// function of its indices and (seed, epoch), so any worker count gives the
// same batches. Worker threads decode and transform ahead into a bounded
// prefetch window; no sample ever crosses into JS.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/data_source.h"

namespace senet {

struct LoaderOptions {
  int64_t batchSize = 8;
  bool shuffle = true;
  bool dropLast = true;
  uint64_t seed = 0;
  int64_t workers = 0;    // 0: batches are built on the calling thread
  int64_t prefetch = 2;   // batches ready ahead, per worker
  int64_t rank = 0;       // shard(rank, worldSize): disjoint slices for distributed runs
  int64_t worldSize = 1;
  // true (training): DistributedSampler's padding, every shard the same size
  // (a few samples repeat). false (evaluation): disjoint shards that together
  // hold each sample once; sizes differ by at most one, a shard may be empty.
  bool padShards = true;
  bool pinMemory = false; // page-locked batches for non-blocking copies to CUDA
};

// Which samples make up the batch of each iteration.
class BatchOrder {
 public:
  BatchOrder(int64_t datasetSize, const LoaderOptions& options);
  int64_t stepsPerEpoch() const { return stepsPerEpoch_; }
  int64_t epochOf(int64_t iteration) const { return stepsPerEpoch_ ? iteration / stepsPerEpoch_ : 0; }
  int64_t shardSize() const { return shardSize_; }
  torch::Tensor indices(int64_t iteration) const;  // thread-safe

 private:
  torch::Tensor shard(int64_t epoch) const;
  int64_t size_, batchSize_, shardSize_, stepsPerEpoch_, rank_, worldSize_;
  bool shuffle_, padShards_;
  uint64_t seed_;
  mutable std::mutex mutex_;
  mutable std::map<int64_t, torch::Tensor> cache_;  // epoch -> this rank's indices
};

struct Batch {
  torch::Tensor images;  // float N x C x H x W (pinned when asked)
  torch::Tensor labels;  // int64 N
};

class Loader {
 public:
  Loader(std::shared_ptr<const DataSource> source, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  const BatchOrder& order() const { return order_; }
  // Blocks until the batch of `iteration` is ready. Sequential calls are
  // served from the prefetch window; a jump restarts it there.
  Batch batch(int64_t iteration);

 private:
  Batch build(int64_t iteration) const;
  void work();

  std::shared_ptr<const DataSource> source_;
  LoaderOptions options_;
  BatchOrder order_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  int64_t next_ = 0;      // next iteration a worker will take
  int64_t wanted_ = 0;    // iteration the consumer waits for / will ask next
  std::map<int64_t, Batch> ready_;
  std::map<int64_t, std::exception_ptr> failed_;
};

}  // namespace senet
